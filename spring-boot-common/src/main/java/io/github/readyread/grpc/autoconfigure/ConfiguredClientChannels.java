package io.github.readyread.grpc.autoconfigure;

import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Names of the client channels that have properties in the gRPC starter, which ALTS
 * channel names are checked against at startup.
 *
 * @param names the channel names, {@code null} when the starter's client is not
 * configured (then nothing is checked)
 * @param channelProperty a property that makes a channel known, with {@code <name>} for
 * its name, e.g. {@code grpc.client.<name>.address}
 */
public record ConfiguredClientChannels(@Nullable Set<String> names, String channelProperty) {
}
