package io.github.readyread.grpc.benchmarks;

import java.net.InetSocketAddress;
import java.util.Locale;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Unary echo over one connection, client and server in the JMH process.
 *
 * <ul>
 * <li>{@link #largeMessage}: 1 MiB each way (grpc-go's LargeMessage): throughput, and
 * with {@code -prof gc} heap bytes per op.</li>
 * <li>{@link #readWrite}: 16 KiB each way (grpc-go's read/write memory benchmark on an
 * ALTS connection): {@code -prof gc} gives heap bytes allocated per round trip, both
 * ends' reads and writes.</li>
 * </ul>
 * Besides {@code -prof gc}'s heap bytes, {@link PoolBytes} counts the bytes of buffers
 * the client's and the server's channels take from their pools per round trip (read
 * buffers, decrypted records, copies, write buffers): in Java the read path's buffers are
 * pooled direct memory, which heap figures do not see. Configurations whose ALTS is not
 * available fail in setup and have no result.
 */
@State(Scope.Benchmark)
public class EchoBenchmark {

	static final int LARGE = 1024 * 1024;

	static final int READ_WRITE = 16 * 1024;

	@Param({ "ready", "io_uring", "conventional", "stock" })
	public String config;

	@Param({ "plaintext", "alts" })
	public String security;

	private OurAlts.Handshaker handshaker;

	private Rig rig;

	private ManagedChannel channel;

	private byte[] large;

	private byte[] small;

	@Setup(Level.Trial)
	public void start() {
		Security sec = Security.valueOf(this.security.toUpperCase(Locale.ROOT));
		if (sec == Security.ALTS) {
			this.handshaker = OurAlts.startHandshaker();
		}
		this.rig = Rig.create(Config.valueOf(this.config.toUpperCase(Locale.ROOT)), sec,
				(this.handshaker != null) ? this.handshaker.target() : null);
		InetSocketAddress address = this.rig.startServer(EchoService.definition());
		this.channel = this.rig.newChannel("bench", address);
		this.large = EchoService.message(LARGE);
		this.small = EchoService.message(READ_WRITE);
	}

	@TearDown(Level.Trial)
	public void stop() {
		if (this.rig != null) {
			this.rig.close();
		}
		if (this.handshaker != null) {
			this.handshaker.close();
		}
	}

	@Benchmark
	public byte[] largeMessage(PoolBytes pool) {
		return echo(this.large, pool);
	}

	@Benchmark
	public byte[] readWrite(PoolBytes pool) {
		return echo(this.small, pool);
	}

	/** One round trip of {@code message}, counting the pool bytes it takes. */
	private byte[] echo(byte[] message, PoolBytes pool) {
		long before = this.rig.poolBytesTaken();
		byte[] answer = ClientCalls.blockingUnaryCall(this.channel, EchoService.ECHO, CallOptions.DEFAULT, message);
		pool.poolBytes += this.rig.poolBytesTaken() - before;
		return answer;
	}

	/**
	 * Pool bytes taken, as a rate over the same time as the operations: divided by ops/s
	 * it gives pool bytes per round trip (done in {@code Report}).
	 */
	@State(Scope.Thread)
	@AuxCounters(AuxCounters.Type.OPERATIONS)
	public static class PoolBytes {

		public long poolBytes;

		@Setup(Level.Iteration)
		public void reset() {
			this.poolBytes = 0;
		}

	}

}
