package io.github.readyread.grpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.grpc.MethodDescriptor;

/**
 * Raw bytes as gRPC messages, for the tests' services: no protobuf code involved.
 */
public enum ByteArrayMarshaller implements MethodDescriptor.Marshaller<byte[]> {

	/** The one instance. */
	INSTANCE;

	@Override
	public InputStream stream(byte[] value) {
		return new ByteArrayInputStream(value);
	}

	@Override
	public byte[] parse(InputStream stream) {
		try {
			return stream.readAllBytes();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
