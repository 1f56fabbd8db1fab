package io.github.readyread.grpc.alts.internal;

import io.grpc.alts.internal.HandshakerResult;
import io.grpc.alts.internal.RpcProtocolVersions;
import org.jspecify.annotations.Nullable;

/**
 * The RPC protocol versions this side speaks (2.1 to 2.1, like grpc-java) and the checks
 * of a handshake result.
 */
public final class AltsRpcVersions {

	/** The RPC protocol versions this side offers: 2.1 only. */
	public static final RpcProtocolVersions LOCAL = RpcProtocolVersions.newBuilder()
		.setMaxRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
		.setMinRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
		.build();

	private AltsRpcVersions() {
	}

	/** What is wrong with {@code result}, or {@code null} if it can be used. */
	static @Nullable String checkResult(HandshakerResult result, boolean client) {
		if (!AltsProtocol.RECORD_PROTOCOL.equals(result.getRecordProtocol())) {
			return "ALTS handshake result has record protocol '" + result.getRecordProtocol() + "', expected "
					+ AltsProtocol.RECORD_PROTOCOL;
		}
		if (!AltsProtocol.APPLICATION_PROTOCOL.equals(result.getApplicationProtocol())) {
			return "ALTS handshake result has application protocol '" + result.getApplicationProtocol() + "', expected "
					+ AltsProtocol.APPLICATION_PROTOCOL;
		}
		if (result.getKeyData().size() < AltsProtocol.KEY_LENGTH) {
			return "ALTS handshake result has " + result.getKeyData().size() + " bytes of key data, need "
					+ AltsProtocol.KEY_LENGTH;
		}
		if (!compatible(LOCAL, result.getPeerRpcVersions())) {
			return "ALTS peer RPC protocol versions " + format(result.getPeerRpcVersions())
					+ " are not compatible with local " + format(LOCAL);
		}
		return null;
	}

	static boolean compatible(RpcProtocolVersions local, RpcProtocolVersions peer) {
		RpcProtocolVersions.Version max = atLeast(local.getMaxRpcVersion(), peer.getMaxRpcVersion())
				? peer.getMaxRpcVersion() : local.getMaxRpcVersion();
		RpcProtocolVersions.Version min = atLeast(local.getMinRpcVersion(), peer.getMinRpcVersion())
				? local.getMinRpcVersion() : peer.getMinRpcVersion();
		return atLeast(max, min);
	}

	private static boolean atLeast(RpcProtocolVersions.Version a, RpcProtocolVersions.Version b) {
		return a.getMajor() > b.getMajor() || (a.getMajor() == b.getMajor() && a.getMinor() >= b.getMinor());
	}

	private static String format(RpcProtocolVersions versions) {
		return versions.getMinRpcVersion().getMajor() + "." + versions.getMinRpcVersion().getMinor() + "-"
				+ versions.getMaxRpcVersion().getMajor() + "." + versions.getMaxRpcVersion().getMinor();
	}

}
