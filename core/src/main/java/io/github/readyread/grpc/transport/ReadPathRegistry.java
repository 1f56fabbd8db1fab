package io.github.readyread.grpc.transport;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * The server and every client channel put on the ready-read transport, each with the
 * figures of its read path: one {@link Registration} per {@link Owner}, the server under
 * its own key (a channel named {@code server} is another owner). Written by
 * {@link ReadyReadTransport} as it configures builders; read by the endpoint, the meters
 * and anyone else who observes.
 */
public final class ReadPathRegistry {

	private final Map<Owner, Registration> registrations = new ConcurrentHashMap<>();

	/**
	 * Registers an owner, or registers it again (a channel built anew under the same
	 * name): the figures of its earlier registration go on counting.
	 * @param owner the server or a channel
	 * @param target the channel's target, empty for the server
	 * @param security the security its connections run
	 * @param readPath the read path its connections run
	 * @return the registration
	 */
	Registration register(Owner owner, String target, ConnectionSecurity security, ReadPath readPath) {
		return this.registrations.compute(owner, (key, earlier) -> new Registration(key, target, security, readPath,
				(earlier != null) ? earlier.stats() : new ReadPathStats(key.name())));
	}

	/** Every registration: the server's and every channel's. */
	public Collection<Registration> registrations() {
		return Collections.unmodifiableCollection(this.registrations.values());
	}

	/**
	 * The server's registration.
	 * @return the registration, or {@code null} if no server was configured
	 */
	public @Nullable Registration server() {
		return this.registrations.get(Owner.server());
	}

	/**
	 * The registration of the client channel named {@code name}.
	 * @param name the channel's name
	 * @return the registration, or {@code null} if no such channel was configured
	 */
	public @Nullable Registration channel(String name) {
		return this.registrations.get(Owner.channel(name));
	}

	/** Every client channel's registration, by name. */
	public Map<String, Registration> channels() {
		Map<String, Registration> channels = new TreeMap<>();
		this.registrations.forEach((owner, registration) -> {
			if (!owner.isServer()) {
				channels.put(owner.name(), registration);
			}
		});
		return Collections.unmodifiableMap(channels);
	}

	/**
	 * A configured client channel or the server, and the figures of its read path.
	 *
	 * @param owner the server or the channel
	 * @param target target address, empty for the server
	 * @param security the security its connections run
	 * @param readPath {@link ReadPath#READY} only where the transport reads the
	 * connections itself (plaintext and ALTS on the ready read path)
	 * @param stats the figures of its connections
	 */
	public record Registration(Owner owner, String target, ConnectionSecurity security, ReadPath readPath,
			ReadPathStats stats) {

		/** The channel's name, {@code server} for the server. */
		public String name() {
			return this.owner.name();
		}

	}

}
