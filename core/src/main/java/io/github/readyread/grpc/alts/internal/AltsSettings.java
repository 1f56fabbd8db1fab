package io.github.readyread.grpc.alts.internal;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.channel.ChannelHandler;
import org.jspecify.annotations.Nullable;

/**
 * How one side (a client channel or a server) runs ALTS handshakes and records.
 *
 * @param handshakerChannel channel to the ALTS handshaker service; owned by the caller
 * @param localServiceAccount service account to present, {@code null} for the
 * handshaker's default
 * @param targetServiceAccounts service accounts a client accepts for the server
 * @param maxFrameSize frame size to offer, 16 KiB to 128 KiB
 * @param maxConcurrentHandshakes handshakes of this side that run at once
 * @param handshakeTimeout longest time from connection to an established ALTS session
 * @param readPathStats where the record decoder counts its bytes
 * @param plaintextStage makes a handler placed between the record layer and HTTP/2, or
 * {@code null}
 */
public record AltsSettings(io.grpc.Channel handshakerChannel, @Nullable String localServiceAccount,
		List<String> targetServiceAccounts, int maxFrameSize, int maxConcurrentHandshakes, Duration handshakeTimeout,
		ReadPathStats readPathStats, @Nullable Supplier<ChannelHandler> plaintextStage) {

	public AltsSettings {
		if (handshakerChannel == null) {
			throw new NullPointerException("handshakerChannel is required");
		}
		targetServiceAccounts = (targetServiceAccounts != null) ? List.copyOf(targetServiceAccounts) : List.of();
		AltsFrameSizes.checkOffered(maxFrameSize);
		if (maxConcurrentHandshakes < 1) {
			throw new IllegalArgumentException("maxConcurrentHandshakes must be positive");
		}
		if (handshakeTimeout == null || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
			throw new IllegalArgumentException("handshakeTimeout must be positive");
		}
		if (readPathStats == null) {
			throw new NullPointerException("readPathStats is required");
		}
	}

	/**
	 * Defaults: handshaker's identity, 128 KiB frames offered, 32 concurrent handshakes,
	 * 20 s timeout, no plaintext stage.
	 */
	public static AltsSettings of(io.grpc.Channel handshakerChannel, ReadPathStats readPathStats) {
		return new AltsSettings(handshakerChannel, null, List.of(), AltsFrameSizes.OFFERED_BY_DEFAULT, 32,
				Duration.ofSeconds(20), readPathStats, null);
	}

	public AltsSettings withLocalServiceAccount(@Nullable String account) {
		return new AltsSettings(this.handshakerChannel, account, this.targetServiceAccounts, this.maxFrameSize,
				this.maxConcurrentHandshakes, this.handshakeTimeout, this.readPathStats, this.plaintextStage);
	}

	public AltsSettings withTargetServiceAccounts(List<String> accounts) {
		return new AltsSettings(this.handshakerChannel, this.localServiceAccount, accounts, this.maxFrameSize,
				this.maxConcurrentHandshakes, this.handshakeTimeout, this.readPathStats, this.plaintextStage);
	}

	public AltsSettings withMaxFrameSize(int size) {
		return new AltsSettings(this.handshakerChannel, this.localServiceAccount, this.targetServiceAccounts, size,
				this.maxConcurrentHandshakes, this.handshakeTimeout, this.readPathStats, this.plaintextStage);
	}

	public AltsSettings withMaxConcurrentHandshakes(int max) {
		return new AltsSettings(this.handshakerChannel, this.localServiceAccount, this.targetServiceAccounts,
				this.maxFrameSize, max, this.handshakeTimeout, this.readPathStats, this.plaintextStage);
	}

	public AltsSettings withHandshakeTimeout(Duration timeout) {
		return new AltsSettings(this.handshakerChannel, this.localServiceAccount, this.targetServiceAccounts,
				this.maxFrameSize, this.maxConcurrentHandshakes, timeout, this.readPathStats, this.plaintextStage);
	}

	public AltsSettings withPlaintextStage(@Nullable Supplier<ChannelHandler> stage) {
		return new AltsSettings(this.handshakerChannel, this.localServiceAccount, this.targetServiceAccounts,
				this.maxFrameSize, this.maxConcurrentHandshakes, this.handshakeTimeout, this.readPathStats, stage);
	}

}
