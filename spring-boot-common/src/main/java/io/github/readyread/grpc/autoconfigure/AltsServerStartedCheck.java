package io.github.readyread.grpc.autoconfigure;

import io.grpc.Server;

import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;

/**
 * Runs {@link AltsAppliedCheck#serverStarted} on an integration's server-started event,
 * before any other listener announces the server: the integration publishes the event
 * from the server's lifecycle, so a failure fails the context's start. Never run
 * asynchronously (a SimpleApplicationEventMulticaster with a task executor runs it on the
 * publishing thread); a multicaster whose error handler drops the failure leaves it to
 * the check's {@link AltsCheckRunListener} run. Each integration reads its own event.
 *
 * @param <E> the integration's server-started event
 */
public abstract class AltsServerStartedCheck<E extends ApplicationEvent> implements ApplicationListener<E>, Ordered {

	private final AltsAppliedCheck check;

	private final String notConfigured;

	/**
	 * Creates the listener.
	 * @param check the check
	 * @param notConfigured what builds a server without the transport on this integration
	 * and how to fix it, after "probably "
	 */
	protected AltsServerStartedCheck(AltsAppliedCheck check, String notConfigured) {
		this.check = check;
		this.notConfigured = notConfigured;
	}

	/**
	 * The server that has started.
	 * @param event the event
	 * @return its server
	 */
	protected abstract Server server(E event);

	/**
	 * Where the integration says the server listens.
	 * @param event the event
	 * @return address and port
	 */
	protected abstract String announcedAddress(E event);

	@Override
	public final void onApplicationEvent(E event) {
		this.check.serverStarted(server(event), announcedAddress(event), this.notConfigured);
	}

	@Override
	public final boolean supportsAsyncExecution() {
		return false;
	}

	@Override
	public final int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
