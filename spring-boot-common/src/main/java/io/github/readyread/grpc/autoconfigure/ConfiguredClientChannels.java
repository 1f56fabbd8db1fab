package io.github.readyread.grpc.autoconfigure;

import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * The client channels that have properties in the gRPC starter, with their targets, which
 * ALTS channel names are checked against at startup.
 *
 * @param targets each channel's target by name ({@code null} for a channel whose target
 * the starter works out later), or {@code null} when the starter's client is not
 * configured (then nothing is checked)
 * @param channelProperty a property that makes a channel known, with {@code <name>} for
 * its name, e.g. {@code grpc.client.<name>.address}
 */
public record ConfiguredClientChannels(@Nullable Map<String, @Nullable String> targets, String channelProperty) {

	/**
	 * The channel names.
	 * @return the names, {@code null} when the starter's client is not configured
	 */
	public @Nullable Set<String> names() {
		return (this.targets != null) ? this.targets.keySet() : null;
	}

}
