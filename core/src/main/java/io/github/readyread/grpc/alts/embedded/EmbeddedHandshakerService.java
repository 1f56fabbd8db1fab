package io.github.readyread.grpc.alts.embedded;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;

import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.google.protobuf.ByteString;
import io.github.readyread.grpc.alts.internal.AltsProtocol;
import io.grpc.Status;
import io.grpc.alts.internal.HandshakeProtocol;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerResult;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.alts.internal.HandshakerStatus;
import io.grpc.alts.internal.Identity;
import io.grpc.alts.internal.RpcProtocolVersions;
import io.grpc.alts.internal.ServerHandshakeParameters;
import io.grpc.alts.internal.StartClientHandshakeReq;
import io.grpc.alts.internal.StartServerHandshakeReq;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ALTS handshaker service for development and tests. INSECURE: it authenticates
 * nobody, every peer simply states its service account.
 *
 * <p>
 * It does give each connection fresh keys: the two sides agree on an X25519 secret,
 * HKDF-SHA256 turns it into 44 bytes of key data and a confirmation key, and MACs over
 * the transcript prove both sides hold the same keys. Works with stock grpc-java ALTS
 * clients and servers, which only relay the handshake bytes.
 *
 * <pre>
 *   client                                     server
 *   ClientInit  [pub, account, frame size, versions] --&gt;
 *           &lt;-- ServerInit [pub, account, frame size, versions, server MAC]
 *   ClientFinished [client MAC] --&gt;
 *   (each message: 4-byte big-endian length, type byte, fields)
 * </pre>
 */
// Not null-checked: a development-only handshaker whose per-handshake state is filled
// step by step as messages arrive; its parser is fuzzed (EmbeddedHandshakerFuzzTests).
@SuppressWarnings("NullAway")
public class EmbeddedHandshakerService extends HandshakerServiceGrpc.HandshakerServiceImplBase {

	private static final Logger logger = LoggerFactory.getLogger(EmbeddedHandshakerService.class);

	private static final int CLIENT_INIT = 1;

	private static final int SERVER_INIT = 2;

	private static final int CLIENT_FINISHED = 3;

	private static final int MAGIC = 0x52524131;

	private static final int MAX_MESSAGE = 64 * 1024;

	private static final int MAC_LENGTH = 32;

	/** X25519 provider, {@code null} for the JDK's default. */
	private static final Provider X25519 = x25519Provider();

	private final String localServiceAccount;

	/**
	 * A handshaker service whose sides claim {@code localServiceAccount} unless they name
	 * their own.
	 * @param localServiceAccount service account of sides that do not name their own
	 */
	public EmbeddedHandshakerService(String localServiceAccount) {
		if (localServiceAccount == null || localServiceAccount.isEmpty()) {
			throw new IllegalArgumentException("localServiceAccount is required");
		}
		this.localServiceAccount = localServiceAccount;
		logger.warn("INSECURE embedded ALTS handshaker created (default service account '{}'): it authenticates "
				+ "no one; use it for development and tests only", localServiceAccount);
	}

	public String localServiceAccount() {
		return this.localServiceAccount;
	}

	@Override
	public StreamObserver<HandshakerReq> doHandshake(StreamObserver<HandshakerResp> responses) {
		return new Handshake(responses);
	}

	private final class Handshake implements StreamObserver<HandshakerReq> {

		private final StreamObserver<HandshakerResp> responses;

		private Boolean client;

		private boolean finished;

		private byte[] buffered = new byte[0];

		private KeyPair keyPair;

		private String account;

		private String peerAccount;

		private int offeredFrameSize;

		private int frameSize;

		private RpcProtocolVersions versions = RpcProtocolVersions.getDefaultInstance();

		private RpcProtocolVersions peerVersions = RpcProtocolVersions.getDefaultInstance();

		private byte[] clientInitBody;

		private byte[] transcript;

		private byte[] keyData;

		private byte[] confirmKey;

		Handshake(StreamObserver<HandshakerResp> responses) {
			this.responses = responses;
		}

		@Override
		public void onNext(HandshakerReq request) {
			if (this.finished) {
				return;
			}
			try {
				switch (request.getReqOneofCase()) {
					case CLIENT_START -> startClient(request.getClientStart());
					case SERVER_START -> startServer(request.getServerStart());
					case NEXT -> next(request.getNext().getInBytes());
					default -> throw new HandshakeException(Status.Code.INVALID_ARGUMENT, "empty handshaker request");
				}
			}
			catch (HandshakeException ex) {
				error(ex.code, ex.getMessage());
			}
			catch (Exception ex) {
				error(Status.Code.INTERNAL, "embedded handshaker failed: " + ex);
			}
		}

		private void startClient(StartClientHandshakeReq start) throws Exception {
			checkNotStarted();
			this.client = true;
			requireProtocols(start.getApplicationProtocolsList(), start.getRecordProtocolsList());
			this.account = accountOf(start.hasLocalIdentity() ? List.of(start.getLocalIdentity()) : List.of());
			this.offeredFrameSize = start.getMaxFrameSize();
			this.versions = start.getRpcVersions();
			this.keyPair = newKeyPair();
			ByteArrayOutputStream bytes = new ByteArrayOutputStream();
			DataOutputStream out = new DataOutputStream(bytes);
			out.writeInt(MAGIC);
			writeKey(out, this.keyPair.getPublic());
			out.writeUTF(this.account);
			out.writeInt(this.offeredFrameSize);
			writeVersions(out, this.versions);
			out.flush();
			this.clientInitBody = bytes.toByteArray();
			respond(message(CLIENT_INIT, this.clientInitBody), 0, null);
		}

		private void startServer(StartServerHandshakeReq start) throws Exception {
			checkNotStarted();
			this.client = false;
			ServerHandshakeParameters parameters = start.getHandshakeParametersMap()
				.get(HandshakeProtocol.ALTS.getNumber());
			if (parameters == null) {
				throw new HandshakeException(Status.Code.INVALID_ARGUMENT, "no ALTS handshake parameters");
			}
			requireProtocols(start.getApplicationProtocolsList(), parameters.getRecordProtocolsList());
			this.account = accountOf(parameters.getLocalIdentitiesList());
			this.offeredFrameSize = start.getMaxFrameSize();
			this.versions = start.getRpcVersions();
			next(start.getInBytes());
		}

		private void next(ByteString in) throws Exception {
			if (this.client == null) {
				throw new HandshakeException(Status.Code.FAILED_PRECONDITION, "next before start");
			}
			int previouslyBuffered = this.buffered.length;
			this.buffered = concat(this.buffered, in.toByteArray());
			int position = 0;
			ByteArrayOutputStream outFrames = new ByteArrayOutputStream();
			HandshakerResult result = null;
			while (result == null) {
				byte[] body = completeMessage(position);
				if (body == null) {
					break;
				}
				position += 4 + body.length;
				result = handle(body, outFrames);
			}
			int consumed;
			if (result != null) {
				consumed = position - previouslyBuffered;
				this.buffered = new byte[0];
			}
			else {
				consumed = in.size();
				this.buffered = Arrays.copyOfRange(this.buffered, position, this.buffered.length);
			}
			respond(outFrames.toByteArray(), consumed, result);
		}

		private byte[] completeMessage(int position) throws HandshakeException {
			if (this.buffered.length - position < 4) {
				return null;
			}
			int length = ((this.buffered[position] & 0xFF) << 24) | ((this.buffered[position + 1] & 0xFF) << 16)
					| ((this.buffered[position + 2] & 0xFF) << 8) | (this.buffered[position + 3] & 0xFF);
			if (length < 1 || length > MAX_MESSAGE) {
				throw new HandshakeException(Status.Code.INVALID_ARGUMENT,
						"handshake message length " + length + " out of range");
			}
			if (this.buffered.length - position - 4 < length) {
				return null;
			}
			return Arrays.copyOfRange(this.buffered, position + 4, position + 4 + length);
		}

		private HandshakerResult handle(byte[] message, ByteArrayOutputStream outFrames) throws Exception {
			int type = message[0];
			byte[] body = Arrays.copyOfRange(message, 1, message.length);
			if (!this.client && this.clientInitBody == null) {
				expect(type, CLIENT_INIT);
				try {
					serverReceivesClientInit(body, outFrames);
				}
				catch (IOException | GeneralSecurityException ex) {
					throw malformed("client init", ex);
				}
				return null;
			}
			if (!this.client) {
				expect(type, CLIENT_FINISHED);
				verifyMac(body, "client");
				return result();
			}
			expect(type, SERVER_INIT);
			try {
				clientReceivesServerInit(body);
			}
			catch (IOException | GeneralSecurityException ex) {
				throw malformed("server init", ex);
			}
			outFrames.write(message(CLIENT_FINISHED, mac("client")));
			return result();
		}

		private void serverReceivesClientInit(byte[] body, ByteArrayOutputStream outFrames) throws Exception {
			DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
			if (in.readInt() != MAGIC) {
				throw new HandshakeException(Status.Code.INVALID_ARGUMENT, "not an embedded ALTS handshake");
			}
			PublicKey clientKey = readKey(in);
			this.peerAccount = in.readUTF();
			int clientFrameSize = in.readInt();
			this.peerVersions = readVersions(in);
			this.clientInitBody = body;
			this.frameSize = negotiateFrameSize(clientFrameSize, this.offeredFrameSize);
			this.keyPair = newKeyPair();
			ByteArrayOutputStream bytes = new ByteArrayOutputStream();
			DataOutputStream out = new DataOutputStream(bytes);
			writeKey(out, this.keyPair.getPublic());
			out.writeUTF(this.account);
			out.writeInt(this.frameSize);
			writeVersions(out, this.versions);
			out.flush();
			byte[] serverInit = bytes.toByteArray();
			deriveKeys(clientKey, serverInit);
			outFrames.write(message(SERVER_INIT, concat(serverInit, mac("server"))));
		}

		private void clientReceivesServerInit(byte[] body) throws Exception {
			if (body.length < MAC_LENGTH) {
				throw new HandshakeException(Status.Code.INVALID_ARGUMENT, "server init too short");
			}
			byte[] serverInit = Arrays.copyOf(body, body.length - MAC_LENGTH);
			DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(serverInit));
			PublicKey serverKey = readKey(in);
			this.peerAccount = in.readUTF();
			this.frameSize = in.readInt();
			this.peerVersions = readVersions(in);
			deriveKeys(serverKey, serverInit);
			verifyMac(Arrays.copyOfRange(body, body.length - MAC_LENGTH, body.length), "server");
		}

		private void deriveKeys(PublicKey peerKey, byte[] serverInit) throws GeneralSecurityException {
			KeyAgreement agreement = (X25519 != null) ? KeyAgreement.getInstance("X25519", X25519)
					: KeyAgreement.getInstance("X25519");
			agreement.init(this.keyPair.getPrivate());
			agreement.doPhase(peerKey, true);
			byte[] shared = agreement.generateSecret();
			MessageDigest sha = MessageDigest.getInstance("SHA-256");
			sha.update(this.clientInitBody);
			sha.update(serverInit);
			this.transcript = sha.digest();
			byte[] prk = hmac(this.transcript, shared);
			Arrays.fill(shared, (byte) 0);
			this.keyData = expand(prk, "grpc-ready-read embedded alts key data", AltsProtocol.KEY_LENGTH);
			this.confirmKey = expand(prk, "grpc-ready-read embedded alts confirmation", MAC_LENGTH);
		}

		private byte[] mac(String side) throws GeneralSecurityException {
			return hmac(this.confirmKey, concat(side.getBytes(StandardCharsets.US_ASCII), this.transcript));
		}

		private void verifyMac(byte[] received, String side) throws Exception {
			if (!MessageDigest.isEqual(received, mac(side))) {
				throw new HandshakeException(Status.Code.PERMISSION_DENIED,
						"key confirmation of the " + side + " failed: the two sides do not share keys");
			}
		}

		private HandshakerResult result() {
			this.finished = true;
			HandshakerResult.Builder result = HandshakerResult.newBuilder()
				.setApplicationProtocol(AltsProtocol.APPLICATION_PROTOCOL)
				.setRecordProtocol(AltsProtocol.RECORD_PROTOCOL)
				.setKeyData(ByteString.copyFrom(this.keyData))
				.setPeerIdentity(Identity.newBuilder().setServiceAccount(this.peerAccount))
				.setLocalIdentity(Identity.newBuilder().setServiceAccount(this.account))
				.setPeerRpcVersions(this.peerVersions)
				.setMaxFrameSize(this.frameSize);
			Arrays.fill(this.keyData, (byte) 0);
			return result.build();
		}

		private void respond(byte[] outFrames, int consumed, HandshakerResult result) {
			HandshakerResp.Builder response = HandshakerResp.newBuilder()
				.setOutFrames(ByteString.copyFrom(outFrames))
				.setBytesConsumed(consumed)
				.setStatus(HandshakerStatus.newBuilder().setCode(0));
			if (result != null) {
				response.setResult(result);
			}
			this.responses.onNext(response.build());
		}

		private void error(Status.Code code, String details) {
			this.finished = true;
			this.responses.onNext(HandshakerResp.newBuilder()
				.setStatus(HandshakerStatus.newBuilder().setCode(code.value()).setDetails(details))
				.build());
			this.responses.onCompleted();
		}

		private void checkNotStarted() throws HandshakeException {
			if (this.client != null) {
				throw new HandshakeException(Status.Code.FAILED_PRECONDITION, "handshake already started");
			}
		}

		private String accountOf(List<Identity> identities) {
			for (Identity identity : identities) {
				if (!identity.getServiceAccount().isEmpty()) {
					return identity.getServiceAccount();
				}
			}
			return EmbeddedHandshakerService.this.localServiceAccount;
		}

		@Override
		public void onError(Throwable t) {
			this.finished = true;
		}

		@Override
		public void onCompleted() {
			this.finished = true;
			this.responses.onCompleted();
		}

	}

	private static void requireProtocols(List<String> applicationProtocols, List<String> recordProtocols)
			throws HandshakeException {
		if (!applicationProtocols.contains(AltsProtocol.APPLICATION_PROTOCOL)) {
			throw new HandshakeException(Status.Code.INVALID_ARGUMENT,
					"no supported application protocol in " + applicationProtocols);
		}
		if (!recordProtocols.contains(AltsProtocol.RECORD_PROTOCOL)) {
			throw new HandshakeException(Status.Code.INVALID_ARGUMENT,
					"no supported record protocol in " + recordProtocols);
		}
	}

	static int negotiateFrameSize(int client, int server) {
		if (client == 0 || server == 0) {
			return Math.max(client, server);
		}
		return Math.min(client, server);
	}

	/**
	 * A message the peer sent that cannot be read (cut short, not a key): the peer's
	 * fault, not the handshaker's.
	 */
	private static HandshakeException malformed(String message, Exception cause) {
		return new HandshakeException(Status.Code.INVALID_ARGUMENT, "malformed " + message + " from the peer: "
				+ cause.getClass().getSimpleName() + ((cause.getMessage() != null) ? ": " + cause.getMessage() : ""));
	}

	private static void expect(int type, int expected) throws HandshakeException {
		if (type != expected) {
			throw new HandshakeException(Status.Code.INVALID_ARGUMENT,
					"handshake message type " + type + ", expected " + expected);
		}
	}

	private static byte[] message(int type, byte[] body) {
		byte[] message = new byte[4 + 1 + body.length];
		int length = 1 + body.length;
		message[0] = (byte) (length >>> 24);
		message[1] = (byte) (length >>> 16);
		message[2] = (byte) (length >>> 8);
		message[3] = (byte) length;
		message[4] = (byte) type;
		System.arraycopy(body, 0, message, 5, body.length);
		return message;
	}

	private static void writeKey(DataOutputStream out, PublicKey key) throws IOException {
		byte[] encoded = key.getEncoded();
		out.writeShort(encoded.length);
		out.write(encoded);
	}

	private static PublicKey readKey(DataInputStream in) throws IOException, GeneralSecurityException {
		int length = in.readUnsignedShort();
		byte[] encoded = new byte[length];
		in.readFully(encoded);
		KeyFactory factory = (X25519 != null) ? KeyFactory.getInstance("X25519", X25519)
				: KeyFactory.getInstance("X25519");
		return factory.generatePublic(new X509EncodedKeySpec(encoded));
	}

	private static KeyPair newKeyPair() throws GeneralSecurityException {
		return ((X25519 != null) ? KeyPairGenerator.getInstance("X25519", X25519)
				: KeyPairGenerator.getInstance("X25519"))
			.generateKeyPair();
	}

	/**
	 * Conscrypt (BoringSSL) for X25519 when it offers it: about ten times faster than the
	 * JDK's, which matters to benchmarks opening thousands of connections; the JDK's
	 * otherwise.
	 */
	private static Provider x25519Provider() {
		Provider conscrypt;
		try {
			Class<?> conscryptClass = Class.forName("org.conscrypt.Conscrypt");
			if (!(Boolean) conscryptClass.getMethod("isAvailable").invoke(null)) {
				return null;
			}
			conscrypt = (Provider) conscryptClass.getMethod("newProvider").invoke(null);
		}
		catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
			return null;
		}
		try {
			KeyPairGenerator.getInstance("X25519", conscrypt);
			KeyAgreement.getInstance("X25519", conscrypt);
			KeyFactory.getInstance("X25519", conscrypt);
			return conscrypt;
		}
		catch (GeneralSecurityException ex) {
			return null;
		}
	}

	private static void writeVersions(DataOutputStream out, RpcProtocolVersions versions) throws IOException {
		out.writeInt(versions.getMaxRpcVersion().getMajor());
		out.writeInt(versions.getMaxRpcVersion().getMinor());
		out.writeInt(versions.getMinRpcVersion().getMajor());
		out.writeInt(versions.getMinRpcVersion().getMinor());
	}

	private static RpcProtocolVersions readVersions(DataInputStream in) throws IOException {
		return RpcProtocolVersions.newBuilder()
			.setMaxRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(in.readInt()).setMinor(in.readInt()))
			.setMinRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(in.readInt()).setMinor(in.readInt()))
			.build();
	}

	private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
		Mac mac = Mac.getInstance("HmacSHA256");
		mac.init(new SecretKeySpec(key, "HmacSHA256"));
		return mac.doFinal(data);
	}

	/** HKDF-Expand (RFC 5869) with SHA-256. */
	private static byte[] expand(byte[] prk, String info, int length) throws GeneralSecurityException {
		Mac mac = Mac.getInstance("HmacSHA256");
		mac.init(new SecretKeySpec(prk, "HmacSHA256"));
		byte[] result = new byte[length];
		byte[] block = new byte[0];
		int filled = 0;
		for (int i = 1; filled < length; i++) {
			mac.update(block);
			mac.update(info.getBytes(StandardCharsets.US_ASCII));
			mac.update((byte) i);
			block = mac.doFinal();
			int n = Math.min(block.length, length - filled);
			System.arraycopy(block, 0, result, filled, n);
			filled += n;
		}
		return result;
	}

	private static byte[] concat(byte[] a, byte[] b) {
		byte[] result = Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, result, a.length, b.length);
		return result;
	}

	private static final class HandshakeException extends Exception {

		private final Status.Code code;

		HandshakeException(Status.Code code, String message) {
			super(message);
			this.code = code;
		}

	}

}
