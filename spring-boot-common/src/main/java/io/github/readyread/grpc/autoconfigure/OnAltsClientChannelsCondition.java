package io.github.readyread.grpc.autoconfigure;

import java.util.List;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code grpc.ready-read.alts.client-channels} names a channel, or
 * {@code *}, read as {@link ReadyReadProperties} binds it.
 */
public final class OnAltsClientChannelsCondition extends SpringBootCondition {

	private static final String PROPERTY = "grpc.ready-read.alts.client-channels";

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		List<String> channels = clientChannels(Binder.get(context.getEnvironment()));
		ConditionMessage.Builder message = ConditionMessage.forCondition(getClass().getSimpleName());
		return channels.isEmpty() ? ConditionOutcome.noMatch(message.because(PROPERTY + " is empty"))
				: ConditionOutcome.match(message.because(PROPERTY + " is " + channels));
	}

	/**
	 * {@code grpc.ready-read.alts.client-channels} where {@code binder} reads from.
	 * @param binder the environment's binder
	 * @return the channels it names, empty if none
	 */
	static List<String> clientChannels(Binder binder) {
		return binder.bind(PROPERTY, Bindable.listOf(String.class)).orElse(List.of());
	}

}
