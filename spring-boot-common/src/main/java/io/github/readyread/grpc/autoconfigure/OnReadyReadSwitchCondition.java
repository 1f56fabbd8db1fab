package io.github.readyread.grpc.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when an on/off property of the starter is on, read as
 * {@link ReadyReadProperties} binds it: {@code true}, {@code on}, {@code yes} and
 * {@code 1} are on, {@code false}, {@code off}, {@code no} and {@code 0} off, in any
 * case; any other value fails startup. Spring Boot's {@code @ConditionalOnProperty}
 * without a value would take {@code 0} or {@code no} as on, and
 * {@code @ConditionalOnBooleanProperty} {@code on} or {@code yes} as off, where the
 * properties say the opposite.
 */
public abstract class OnReadyReadSwitchCondition extends SpringBootCondition {

	private final String name;

	private final boolean ifMissing;

	OnReadyReadSwitchCondition(String name, boolean ifMissing) {
		this.name = name;
		this.ifMissing = ifMissing;
	}

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		Boolean value = bound(Binder.get(context.getEnvironment()));
		ConditionMessage.Builder message = ConditionMessage.forCondition(getClass().getSimpleName());
		String because = this.name + ((value != null) ? " is " + value : " is not set, " + this.ifMissing);
		return isOn(value) ? ConditionOutcome.match(message.because(because))
				: ConditionOutcome.noMatch(message.because(because));
	}

	/**
	 * Whether the switch is on where {@code binder} reads from, as the condition decides.
	 * @param binder the environment's binder
	 * @return whether it is on
	 */
	boolean isOn(Binder binder) {
		return isOn(bound(binder));
	}

	private boolean isOn(@Nullable Boolean value) {
		return (value != null) ? value : this.ifMissing;
	}

	private @Nullable Boolean bound(Binder binder) {
		return binder.bind(this.name, Boolean.class).orElse(null);
	}

	/** {@code grpc.ready-read.enabled}, on when not set. */
	public static final class Enabled extends OnReadyReadSwitchCondition {

		public Enabled() {
			super("grpc.ready-read.enabled", true);
		}

	}

	/** {@code grpc.ready-read.alts.server}, off when not set. */
	public static final class AltsServer extends OnReadyReadSwitchCondition {

		public AltsServer() {
			super("grpc.ready-read.alts.server", false);
		}

	}

	/** {@code grpc.ready-read.alts.embedded-handshaker.enabled}, off when not set. */
	public static final class EmbeddedHandshakerEnabled extends OnReadyReadSwitchCondition {

		public EmbeddedHandshakerEnabled() {
			super("grpc.ready-read.alts.embedded-handshaker.enabled", false);
		}

	}

}
