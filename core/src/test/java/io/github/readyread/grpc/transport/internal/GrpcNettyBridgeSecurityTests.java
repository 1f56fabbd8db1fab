package io.github.readyread.grpc.transport.internal;

import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NegotiationType;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Pins {@link GrpcNettyBridge#installedSecurity} to real grpc-netty builders configured
 * each way an application can: a grpc-java upgrade that moves or renames what it reads
 * fails here, not in production.
 */
@SuppressWarnings("deprecation")
class GrpcNettyBridgeSecurityTests {

	private static SelfSignedCertificate certificate;

	private static final GrpcNettyBridge.Negotiator CUSTOM = (grpcHandler) -> new ChannelInboundHandlerAdapter();

	@BeforeAll
	static void makeCertificate() throws CertificateException {
		certificate = new SelfSignedCertificate("localhost");
	}

	@AfterAll
	static void deleteCertificate() {
		certificate.delete();
	}

	@Test
	void serverIsPlaintextByDefault() {
		assertThat(GrpcNettyBridge.installedSecurity(NettyServerBuilder.forPort(0)))
			.isEqualTo(ConnectionSecurity.PLAINTEXT);
	}

	@Test
	void serverWithTransportSecurityIsTls() {
		NettyServerBuilder builder = NettyServerBuilder.forPort(0)
			.useTransportSecurity(certificate.certificate(), certificate.privateKey());
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.TLS);
	}

	@Test
	void serverWithSslContextIsTlsAndWithoutItPlaintextAgain() throws SSLException {
		SslContext context = GrpcSslContexts.forServer(certificate.certificate(), certificate.privateKey()).build();
		NettyServerBuilder builder = NettyServerBuilder.forPort(0).sslContext(context);
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.TLS);
		assertThat(GrpcNettyBridge.installedSecurity(builder.sslContext(null))).isEqualTo(ConnectionSecurity.PLAINTEXT);
	}

	@Test
	void serverWithItsOwnNegotiatorIsCustom() {
		NettyServerBuilder builder = NettyServerBuilder.forPort(0);
		GrpcNettyBridge.install(builder, CUSTOM, false);
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.CUSTOM);
	}

	@Test
	void channelIsTlsByDefault() {
		assertThat(GrpcNettyBridge.installedSecurity(NettyChannelBuilder.forTarget("static://127.0.0.1:1")))
			.isEqualTo(ConnectionSecurity.TLS);
	}

	@Test
	void channelWithPlaintextIsPlaintext() {
		assertThat(
				GrpcNettyBridge.installedSecurity(NettyChannelBuilder.forTarget("static://127.0.0.1:1").usePlaintext()))
			.isEqualTo(ConnectionSecurity.PLAINTEXT);
	}

	@Test
	void channelWithPlaintextUpgradeIsPlaintextUpgrade() {
		NettyChannelBuilder builder = NettyChannelBuilder.forTarget("static://127.0.0.1:1")
			.negotiationType(NegotiationType.PLAINTEXT_UPGRADE);
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.PLAINTEXT_UPGRADE);
	}

	@Test
	void plaintextChannelWithTransportSecurityAndSslContextIsTls() throws SSLException {
		NettyChannelBuilder builder = NettyChannelBuilder.forTarget("static://127.0.0.1:1")
			.usePlaintext()
			.useTransportSecurity()
			.sslContext(GrpcSslContexts.forClient().trustManager(certificate.cert()).build());
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.TLS);
	}

	@Test
	void plaintextChannelWithOnlyAnSslContextIsRefused() throws SSLException {
		NettyChannelBuilder builder = NettyChannelBuilder.forTarget("static://127.0.0.1:1")
			.usePlaintext()
			.sslContext(GrpcSslContexts.forClient().trustManager(certificate.cert()).build());
		assertThatIllegalStateException().isThrownBy(() -> GrpcNettyBridge.installedSecurity(builder))
			.withMessageContaining("negotiation type PLAINTEXT");
	}

	@Test
	void channelWithItsOwnNegotiatorIsCustom() {
		NettyChannelBuilder builder = NettyChannelBuilder.forTarget("static://127.0.0.1:1");
		GrpcNettyBridge.install(builder, CUSTOM, false);
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.CUSTOM);
	}

	// Spring gRPC (Spring Boot 4) builds with credentials, not with usePlaintext or
	// useTransportSecurity.
	@Test
	void channelBuiltWithInsecureCredentialsIsPlaintext() {
		assertThat(GrpcNettyBridge.installedSecurity(
				NettyChannelBuilder.forTarget("static://127.0.0.1:1", InsecureChannelCredentials.create())))
			.isEqualTo(ConnectionSecurity.PLAINTEXT);
	}

	@Test
	void channelBuiltWithTlsCredentialsIsTls() {
		assertThat(GrpcNettyBridge
			.installedSecurity(NettyChannelBuilder.forTarget("static://127.0.0.1:1", TlsChannelCredentials.create())))
			.isEqualTo(ConnectionSecurity.TLS);
	}

	@Test
	void serverBuiltWithInsecureCredentialsIsPlaintext() {
		assertThat(GrpcNettyBridge.installedSecurity(NettyServerBuilder.forPort(0, InsecureServerCredentials.create())))
			.isEqualTo(ConnectionSecurity.PLAINTEXT);
	}

	@Test
	void serverBuiltWithTlsCredentialsIsTls() throws Exception {
		assertThat(GrpcNettyBridge.installedSecurity(NettyServerBuilder.forPort(0,
				TlsServerCredentials.create(certificate.certificate(), certificate.privateKey()))))
			.isEqualTo(ConnectionSecurity.TLS);
	}

	@Test
	void plaintextFromInsecureCredentialsIsReplacedOnTheServer() {
		NettyServerBuilder builder = NettyServerBuilder.forPort(0, InsecureServerCredentials.create());
		GrpcNettyBridge.install(builder, CUSTOM, false);
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.CUSTOM);
	}

	@Test
	void plaintextFromInsecureCredentialsIsReplacedOnAChannel() {
		NettyChannelBuilder builder = NettyChannelBuilder.forTarget("static://127.0.0.1:1",
				InsecureChannelCredentials.create());
		GrpcNettyBridge.install(builder, CUSTOM, false);
		assertThat(GrpcNettyBridge.installedSecurity(builder)).isEqualTo(ConnectionSecurity.CUSTOM);
	}

	@Test
	void tlsFromCredentialsIsNeverReplaced() throws Exception {
		NettyServerBuilder server = NettyServerBuilder.forPort(0,
				TlsServerCredentials.create(certificate.certificate(), certificate.privateKey()));
		assertThatIllegalStateException().isThrownBy(() -> GrpcNettyBridge.install(server, CUSTOM, false));
		assertThat(GrpcNettyBridge.installedSecurity(server)).isEqualTo(ConnectionSecurity.TLS);
		NettyChannelBuilder channel = NettyChannelBuilder.forTarget("static://127.0.0.1:1",
				TlsChannelCredentials.create());
		assertThatIllegalStateException().isThrownBy(() -> GrpcNettyBridge.install(channel, CUSTOM, false));
		assertThat(GrpcNettyBridge.installedSecurity(channel)).isEqualTo(ConnectionSecurity.TLS);
	}

	@Test
	void aFieldItCannotReadFailsNamingTheGrpcVersion() {
		assertThatIllegalStateException()
			.isThrownBy(() -> GrpcNettyBridge.field(NettyServerBuilder.class, NettyServerBuilder.forPort(0), "gone"))
			.withMessageContaining("grpc-netty 1.85")
			.withMessageContaining("this grpc-java version is not supported");
	}

}
