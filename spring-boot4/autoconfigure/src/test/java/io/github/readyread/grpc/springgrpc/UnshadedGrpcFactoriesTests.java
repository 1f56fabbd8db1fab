package io.github.readyread.grpc.springgrpc;

import java.lang.reflect.Method;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import org.springframework.context.annotation.Bean;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins what {@link UnshadedGrpcFactories} relies on in Spring Boot: each shaded factory
 * bean and its unshaded twin are {@code @Bean} methods of the named configurations that
 * take the same inputs, so that calling the twin builds what Spring Boot would have
 * built, unshaded. A Spring Boot upgrade that changes either fails here.
 */
class UnshadedGrpcFactoriesTests {

	@Test
	void eachShadedFactoryHasAnUnshadedTwinThatTakesTheSameInputs() throws Exception {
		assertThat(UnshadedGrpcFactories.REDIRECTS).hasSize(3);
		for (var entry : UnshadedGrpcFactories.REDIRECTS.entrySet()) {
			Method shaded = beanMethod(entry.getValue().shadedConfiguration(), entry.getKey());
			Method unshaded = beanMethod(entry.getValue().unshadedConfiguration(), entry.getValue().factoryMethod());
			assertThat(unshaded.getParameterCount()).as(unshaded.toString()).isEqualTo(shaded.getParameterCount());
			for (int i = 0; i < shaded.getParameterCount(); i++) {
				Class<?> shadedType = shaded.getParameterTypes()[i];
				Class<?> unshadedType = unshaded.getParameterTypes()[i];
				if (shadedType.getSimpleName().startsWith("Shaded")) {
					// The lifecycle takes its own factory: ShadedNetty... for Netty...
					assertThat(unshadedType.getSimpleName()).isEqualTo(shadedType.getSimpleName().substring(6));
				}
				else {
					assertThat(unshadedType).as(unshaded + " parameter " + i).isEqualTo(shadedType);
				}
			}
		}
	}

	@Test
	void theUnshadedTwinsBuildUnshadedFactories() throws Exception {
		assertThat(beanMethod(UnshadedGrpcFactories.SERVER_PACKAGE + "NettyGrpcServerConfiguration",
				"nettyGrpcServerFactory")
			.getReturnType()).isEqualTo(org.springframework.grpc.server.NettyGrpcServerFactory.class);
		assertThat(beanMethod(UnshadedGrpcFactories.CLIENT_PACKAGE + "NettyGrpcClientConfiguration",
				"nettyGrpcChannelFactory")
			.getReturnType()).isEqualTo(org.springframework.grpc.client.NettyGrpcChannelFactory.class);
	}

	private static Method beanMethod(String type, String name) throws ClassNotFoundException {
		Class<?> configuration = ClassUtils.forName(type, UnshadedGrpcFactoriesTests.class.getClassLoader());
		Method[] methods = Arrays.stream(configuration.getDeclaredMethods())
			.filter((method) -> method.getName().equals(name))
			.toArray(Method[]::new);
		assertThat(methods).as(type + "." + name).hasSize(1);
		assertThat(methods[0].isAnnotationPresent(Bean.class)).as(type + "." + name + " is a @Bean").isTrue();
		return methods[0];
	}

}
