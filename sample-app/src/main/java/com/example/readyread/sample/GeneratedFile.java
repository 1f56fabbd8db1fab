package com.example.readyread.sample;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * The file the download service streams: deterministic pseudo-random bytes from a seed,
 * generated once, with their CRC-32.
 */
public final class GeneratedFile {

	private final byte[] bytes;

	private final int chunkSize;

	private final long crc32;

	public GeneratedFile(int size, int chunkSize, long seed) {
		if (size < 1 || chunkSize < 1) {
			throw new IllegalArgumentException(
					"File size and chunk size must be positive, were " + size + " and " + chunkSize);
		}
		this.bytes = new byte[size];
		SplittableRandom random = new SplittableRandom(seed);
		for (int i = 0; i < size; i += 8) {
			long value = random.nextLong();
			for (int j = 0; j < 8 && i + j < size; j++) {
				this.bytes[i + j] = (byte) (value >>> (8 * j));
			}
		}
		this.chunkSize = chunkSize;
		CRC32 crc = new CRC32();
		crc.update(this.bytes);
		this.crc32 = crc.getValue();
	}

	public int size() {
		return this.bytes.length;
	}

	public int chunks() {
		return (this.bytes.length + this.chunkSize - 1) / this.chunkSize;
	}

	/** A copy of chunk {@code index}; the last one may be shorter. */
	public byte[] chunk(int index) {
		int from = index * this.chunkSize;
		return Arrays.copyOfRange(this.bytes, from, Math.min(this.bytes.length, from + this.chunkSize));
	}

	/** CRC-32 of the whole file, which every download must reproduce. */
	public long crc32() {
		return this.crc32;
	}

}
