package io.github.readyread.grpc.autoconfigure;

import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.github.readyread.grpc.alts.AltsChannelSecurity;
import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.grpc.Server;
import io.grpc.inprocess.AnonymousInProcessSocketAddress;
import io.grpc.inprocess.InProcessSocketAddress;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails when a gRPC server or client channel that {@code grpc.ready-read.alts.*} secures
 * with ALTS was built without the ready-read transport, as a server or channel factory of
 * the application's own builds them when it does not apply the integration's configurers:
 * ALTS is applied only by the transport, so it would run without it. Each integration
 * calls {@link #serverStarted} when a server has started; one whose channel factories
 * list the channels they created calls {@link #channelsCreated} from an
 * {@link AltsCheckRunListener.Check} (after the context's refresh and again after the
 * runners). As a check itself, it throws again the first failure of a server, which the
 * caller of {@link #serverStarted} (an application event listener) may have dropped.
 *
 * <p>
 * The record is the {@link ReadPathRegistry}: the transport registers the server each
 * time it configures a server builder (a new {@link Registration} each time). A network
 * server is accepted only against a registration that no other server was accepted
 * against, and only if that registration runs ALTS; so every server built without the
 * transport fails, also beside one built with it. (Two servers whose builders are both
 * configured before either starts, which only a concurrent lifecycle start does, leave
 * one registration for the two: the second fails, never passes.) Which server a
 * registration was accepted for is kept with the registry, not with the check: contexts
 * that share a registry (a child context takes its parent's) each have a check of their
 * own, and the event of a child's server reaches the parent's check too, which accepts
 * the same server again.
 */
public final class AltsAppliedCheck implements AltsCheckRunListener.Check {

	private static final Logger logger = LoggerFactory.getLogger(AltsAppliedCheck.class);

	private static final long SHUTDOWN_SECONDS = 10;

	private static final String IN_PROCESS = "in-process:";

	private static final String DOMAIN_SOCKET = "(a Unix domain socket, which ALTS cannot secure: listen on TCP)";

	private final ReadPathRegistry registry;

	private final boolean server;

	private final List<String> clientChannels;

	/**
	 * Per registry, the server registration the last started network server was accepted
	 * against, and that server. Weak keys: a registry is forgotten with its context.
	 * Guarded by itself.
	 */
	private static final Map<ReadPathRegistry, Accepted> accepted = new WeakHashMap<>();

	/** The first failure {@link #serverStarted} threw. */
	private volatile @Nullable IllegalStateException serverFailure;

	/**
	 * Creates the check of one application context.
	 * @param registry the transport's registry
	 * @param alts what {@code grpc.ready-read.alts.*} asks for
	 */
	public AltsAppliedCheck(ReadPathRegistry registry, ReadyReadProperties.Alts alts) {
		this.registry = registry;
		this.server = alts.isServer();
		this.clientChannels = List.copyOf(alts.getClientChannels());
	}

	/**
	 * Checks a server that has just started: with
	 * {@code grpc.ready-read.alts.server=true} a server on a network address must have
	 * been built through the transport with ALTS. An in-process server is left alone.
	 * @param server the started server
	 * @param announced where the integration says it listens, for a server that does not
	 * tell its listen sockets
	 * @param notConfigured what builds a server without the transport on this integration
	 * and how to fix it, after "probably "
	 * @throws IllegalStateException if it was not, after shutting the server down
	 */
	public void serverStarted(Server server, String announced, String notConfigured) {
		if (!this.server) {
			return;
		}
		List<? extends SocketAddress> addresses = listenSockets(server);
		if (!addresses.isEmpty() && addresses.stream().allMatch(AltsAppliedCheck::isInProcess)) {
			return;
		}
		String problem = serverProblem(server, notConfigured);
		if (problem == null) {
			return;
		}
		shutDown(server);
		boolean domainSocket = addresses.stream()
			.anyMatch((address) -> !(address instanceof InetSocketAddress) && !isInProcess(address));
		IllegalStateException failure = new IllegalStateException(
				"grpc.ready-read.alts.server=true, but the gRPC server listening on "
						+ (addresses.isEmpty() ? announced : addresses.toString())
						+ (domainSocket ? " " + DOMAIN_SOCKET : "") + " " + problem
						+ ". The server has been shut down");
		synchronized (this) {
			if (this.serverFailure == null) {
				this.serverFailure = failure;
			}
		}
		throw failure;
	}

	/**
	 * Throws again, as a new exception with the same message, the first failure that
	 * {@link #serverStarted} threw: an application event multicaster may have dropped it
	 * (one whose error handler logs what a listener throws).
	 * @throws IllegalStateException if a server failed the check
	 */
	@Override
	public void check() {
		IllegalStateException failure = this.serverFailure;
		if (failure != null) {
			throw new IllegalStateException(failure.getMessage(), failure);
		}
	}

	/**
	 * Why the server that has just started does not run ALTS, taking the registration it
	 * is accepted against.
	 * @return {@code null} if it runs ALTS
	 */
	private @Nullable String serverProblem(Server server, String notConfigured) {
		Registration registration;
		synchronized (accepted) {
			registration = this.registry.server();
			Accepted last = accepted.get(this.registry);
			if (registration == null
					|| (last != null && last.registration() == registration && last.server().get() != server)) {
				return notBuiltThroughTheTransport("runs", notConfigured);
			}
			accepted.put(this.registry, new Accepted(registration, new WeakReference<>(server)));
		}
		return securityProblem(registration);
	}

	private static String notBuiltThroughTheTransport(String runs, String notConfigured) {
		return "was not built through the ready-read transport, so it " + runs + " without ALTS: probably "
				+ notConfigured;
	}

	private static @Nullable String securityProblem(Registration registration) {
		if (registration.security() == ConnectionSecurity.ALTS) {
			return null;
		}
		return "was put on the ready-read transport with " + registration.security().displayName()
				+ " instead of ALTS (does a ChannelSecurity bean of the application's own leave the server out?)";
	}

	/**
	 * Whether {@code grpc.ready-read.alts.server=true}.
	 * @return whether servers must run ALTS
	 */
	public boolean coversServer() {
		return this.server;
	}

	/**
	 * Checks a server that a factory has created and not yet started, where the factory
	 * is known to build servers on a network address: with
	 * {@code grpc.ready-read.alts.server=true} creating it must have put a server builder
	 * on the transport with ALTS. Unlike {@link #serverStarted}, a failure here leaves no
	 * moment in which the server listens without ALTS. The registration is not taken:
	 * {@link #serverStarted} still accepts the server when it starts.
	 * @param configured what the configurers reported while the factory created it
	 * @param factory what created it, for the message
	 * @param address where it would listen, if the factory says
	 * @param notConfigured what builds a server without the transport on this integration
	 * and how to fix it, after "probably "
	 * @throws IllegalStateException if it was not
	 */
	public void serverCreated(List<AltsFactoryCheck.Configured> configured, String factory, @Nullable String address,
			String notConfigured) {
		if (!this.server) {
			return;
		}
		String problem = configured.isEmpty() ? notBuiltThroughTheTransport("would run", notConfigured) : null;
		for (int i = 0; problem == null && i < configured.size(); i++) {
			Registration registration = configured.get(i).registration();
			problem = (registration != null) ? securityProblem(registration)
					: notBuiltThroughTheTransport("would run", notConfigured);
		}
		if (problem != null) {
			throw new IllegalStateException("grpc.ready-read.alts.server=true, but the gRPC server "
					+ ((address != null) ? "for " + address + " " : "")
					+ ((address != null && address.startsWith("unix:")) ? DOMAIN_SOCKET + " " : "") + "that " + factory
					+ " created " + problem + ". The server has not been started");
		}
	}

	/**
	 * Whether {@code grpc.ready-read.alts.client-channels} covers any channel.
	 * @return {@code true} if it names one, or {@code *}
	 */
	public boolean coversChannels() {
		return !this.clientChannels.isEmpty();
	}

	/**
	 * Checks the client channels a factory has created: each that
	 * {@code grpc.ready-read.alts.client-channels} covers must have been built through
	 * the transport with ALTS.
	 * @param names the names of the channels created
	 * @param inProcess whether a channel is in-process, which is left alone
	 * @param notConfigured what builds channels without the transport on this integration
	 * and how to fix it, after "probably "
	 * @throws IllegalStateException if one was not
	 */
	public void channelsCreated(Collection<String> names, Predicate<String> inProcess, String notConfigured) {
		if (this.clientChannels.isEmpty()) {
			return;
		}
		List<String> without = new ArrayList<>();
		List<String> other = new ArrayList<>();
		for (String name : new TreeSet<>(names)) {
			if (!coversChannel(name) || inProcess.test(name)) {
				continue;
			}
			Registration channel = this.registry.channel(name);
			if (channel == null) {
				without.add(name);
			}
			else if (channel.security() != ConnectionSecurity.ALTS) {
				other.add(name + " (" + channel.security().displayName() + ")");
			}
		}
		if (!without.isEmpty()) {
			throw new IllegalStateException("grpc.ready-read.alts.client-channels covers the gRPC channels " + without
					+ ", which were created without the ready-read transport, so they run without ALTS: probably "
					+ notConfigured);
		}
		if (!other.isEmpty()) {
			throw new IllegalStateException("grpc.ready-read.alts.client-channels covers the gRPC channels " + other
					+ ", which the ready-read transport configured without ALTS (does a ChannelSecurity bean of the"
					+ " application's own leave them out?)");
		}
	}

	/**
	 * Whether {@code grpc.ready-read.alts.client-channels} covers a channel.
	 * @param name the channel's name
	 * @return whether it must run ALTS
	 */
	public boolean coversChannel(String name) {
		return AltsChannelSecurity.Config.covers(this.clientChannels, name);
	}

	/**
	 * Checks a channel that a factory has just created, before it connects: each that
	 * {@code grpc.ready-read.alts.client-channels} covers must have been put on the
	 * transport with ALTS by that creation. An in-process channel is left alone: one
	 * whose name is an {@code in-process:} target, or whose builder the configurers saw
	 * to be in-process.
	 * @param name the channel's name
	 * @param configured what the configurers reported while the factory created it
	 * @param factory what created it, for the message
	 * @param notConfigured what builds channels without the transport on this integration
	 * and how to fix it, after "probably "
	 * @throws IllegalStateException if it was not
	 */
	public void channelCreated(String name, List<AltsFactoryCheck.Configured> configured, String factory,
			String notConfigured) {
		if (!coversChannel(name) || name.startsWith(IN_PROCESS)
				|| configured.stream().anyMatch(AltsFactoryCheck.Configured::inProcess)) {
			return;
		}
		if (configured.isEmpty() || configured.stream().anyMatch((builder) -> builder.registration() == null)) {
			throw new IllegalStateException("grpc.ready-read.alts.client-channels covers the gRPC channel '" + name
					+ "', which " + factory + " created without the ready-read transport, so it would run without"
					+ " ALTS: probably " + notConfigured + ". The channel is not handed out");
		}
		for (AltsFactoryCheck.Configured builder : configured) {
			Registration channel = builder.registration();
			if (channel != null && channel.security() != ConnectionSecurity.ALTS) {
				throw new IllegalStateException("grpc.ready-read.alts.client-channels covers the gRPC channel '" + name
						+ "', which the ready-read transport configured with " + channel.security().displayName()
						+ " instead of ALTS (does a ChannelSecurity bean of the application's own leave it out?)."
						+ " The channel is not handed out");
			}
		}
	}

	private static List<? extends SocketAddress> listenSockets(Server server) {
		try {
			return server.getListenSockets();
		}
		catch (UnsupportedOperationException | IllegalStateException ex) {
			return List.of();
		}
	}

	/**
	 * A server registration and the server accepted against it (weakly: the server holds
	 * the registry through its transport).
	 */
	private record Accepted(Registration registration, WeakReference<Server> server) {
	}

	private static boolean isInProcess(SocketAddress address) {
		return address instanceof InProcessSocketAddress || address instanceof AnonymousInProcessSocketAddress;
	}

	private static void shutDown(Server server) {
		server.shutdownNow();
		try {
			if (!server.awaitTermination(SHUTDOWN_SECONDS, TimeUnit.SECONDS)) {
				logger.warn("gRPC server did not terminate within {} s of its shutdown", SHUTDOWN_SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
