package io.github.readyread.grpc.micrometer;

import java.util.HashSet;
import java.util.Set;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MeterFilter} that gives meters of their own to at most so many client channels
 * of the {@link ReadPathMetrics read path meters}, by channel name, the first ones whose
 * meters are registered (channels that appear together are registered in no defined
 * order); the meters of further channels are denied, with one warning. A channel is
 * registered under the name the application asks its channel factory for, which may be a
 * target: an application that creates channels to many targets would otherwise add meters
 * (and tag values) without bound. The server's meters and meters without a
 * {@code channel} tag are left alone.
 */
public final class ChannelMeterLimit implements MeterFilter {

	private static final Logger logger = LoggerFactory.getLogger(ChannelMeterLimit.class);

	private static final String PREFIX = "grpc.ready-read.";

	private final int maxChannels;

	private final String property;

	/** Guarded by itself. */
	private final Set<String> channels = new HashSet<>();

	private boolean warned;

	/**
	 * Creates the filter.
	 * @param maxChannels most channels with meters, at least 0
	 * @param property the setting that raises the limit, for the warning
	 */
	public ChannelMeterLimit(int maxChannels, String property) {
		if (maxChannels < 0) {
			throw new IllegalArgumentException("maxChannels must not be negative: " + maxChannels);
		}
		this.maxChannels = maxChannels;
		this.property = property;
	}

	@Override
	public MeterFilterReply accept(Meter.Id id) {
		String channel = id.getTag("channel");
		if (!id.getName().startsWith(PREFIX) || channel == null || !"channel".equals(id.getTag("owner"))) {
			return MeterFilterReply.NEUTRAL;
		}
		synchronized (this.channels) {
			if (this.channels.contains(channel)) {
				return MeterFilterReply.NEUTRAL;
			}
			if (this.channels.size() < this.maxChannels) {
				this.channels.add(channel);
				return MeterFilterReply.NEUTRAL;
			}
			if (!this.warned) {
				this.warned = true;
				logger.warn(
						"gRPC channel '{}' and any further channels get no grpc.ready-read meters of their own:"
								+ " {} channels have them already ({}; /actuator/bufferpool lists every channel)",
						channel, this.maxChannels, this.property);
			}
		}
		return MeterFilterReply.DENY;
	}

}
