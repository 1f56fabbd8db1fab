package io.github.readyread.grpc.autoconfigure;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the net.devh factory bean methods that our auto-configurations re-declare (so that
 * the server and channels are built unshaded): a net.devh upgrade that adds, removes or
 * changes one fails here, and the copy must be reviewed against it.
 */
class NetDevhFactoryBeansTests {

	/** net.devh 3.1.0.RELEASE, {@code GrpcServerFactoryAutoConfiguration}: every bean. */
	private static final List<String> NET_DEVH_SERVER_FACTORY_BEANS = List.of(
			"inProcessGrpcServerFactory(GrpcServerProperties, GrpcServiceDiscoverer, List<GrpcServerConfigurer>) -> InProcessGrpcServerFactory",
			"inProcessGrpcServerLifecycle(InProcessGrpcServerFactory, GrpcServerProperties, ApplicationEventPublisher) -> GrpcServerLifecycle",
			"nettyGrpcServerFactory(GrpcServerProperties, GrpcServiceDiscoverer, List<GrpcServerConfigurer>) -> NettyGrpcServerFactory",
			"nettyGrpcServerLifecycle(NettyGrpcServerFactory, GrpcServerProperties, ApplicationEventPublisher) -> GrpcServerLifecycle",
			"shadedNettyGrpcServerFactory(GrpcServerProperties, GrpcServiceDiscoverer, List<GrpcServerConfigurer>) -> ShadedNettyGrpcServerFactory",
			"shadedNettyGrpcServerLifecycle(ShadedNettyGrpcServerFactory, GrpcServerProperties, ApplicationEventPublisher) -> GrpcServerLifecycle");

	/**
	 * net.devh 3.1.0.RELEASE, {@code GrpcClientAutoConfiguration}: the channel factories.
	 */
	private static final List<String> NET_DEVH_CHANNEL_FACTORY_BEANS = List.of(
			"inProcessGrpcChannelFactory(GrpcChannelsProperties, GlobalClientInterceptorRegistry, List<GrpcChannelConfigurer>) -> GrpcChannelFactory",
			"nettyGrpcChannelFactory(GrpcChannelsProperties, GlobalClientInterceptorRegistry, List<GrpcChannelConfigurer>) -> GrpcChannelFactory",
			"shadedNettyGrpcChannelFactory(GrpcChannelsProperties, GlobalClientInterceptorRegistry, List<GrpcChannelConfigurer>) -> GrpcChannelFactory");

	@Test
	void netDevhServerFactoryBeansAreTheOnesOurCopiesFollow() {
		assertThat(beans(GrpcServerFactoryAutoConfiguration.class, Object.class))
			.containsExactlyElementsOf(NET_DEVH_SERVER_FACTORY_BEANS);
	}

	@Test
	void netDevhChannelFactoryBeansAreTheOnesOurCopyFollows() {
		assertThat(beans(GrpcClientAutoConfiguration.class, GrpcChannelFactory.class))
			.containsExactlyElementsOf(NET_DEVH_CHANNEL_FACTORY_BEANS);
	}

	@Test
	void ourServerFactoryBeansAreNetDevhsUnshadedOnesWithTheSameSignatures() {
		List<String> ours = beans(ReadyReadGrpcServerAutoConfiguration.ServerFactoryConfiguration.class, Object.class);
		assertThat(ours).isNotEmpty().allSatisfy((bean) -> assertThat(NET_DEVH_SERVER_FACTORY_BEANS).contains(bean));
		assertThat(ours).noneMatch((bean) -> bean.startsWith("shaded"));
	}

	@Test
	void ourChannelFactoryTakesWhatNetDevhsChannelFactoriesTake() {
		List<String> ours = beans(ReadyReadGrpcClientAutoConfiguration.class, GrpcChannelFactory.class);
		assertThat(ours).hasSize(1);
		String parameters = ours.get(0).substring(ours.get(0).indexOf('('));
		assertThat(NET_DEVH_CHANNEL_FACTORY_BEANS)
			.allSatisfy((bean) -> assertThat(bean.substring(bean.indexOf('('))).isEqualTo(parameters));
	}

	private static List<String> beans(Class<?> configuration, Class<?> returning) {
		return Arrays.stream(configuration.getDeclaredMethods())
			.filter((method) -> method.isAnnotationPresent(Bean.class))
			.filter((method) -> returning.isAssignableFrom(method.getReturnType()))
			.map(NetDevhFactoryBeansTests::signature)
			.sorted()
			.toList();
	}

	private static String signature(Method method) {
		return method.getName() + Arrays.stream(method.getGenericParameterTypes())
			.map(NetDevhFactoryBeansTests::simpleName)
			.collect(Collectors.joining(", ", "(", ")")) + " -> " + simpleName(method.getGenericReturnType());
	}

	private static String simpleName(Type type) {
		if (type instanceof ParameterizedType parameterized) {
			return simpleName(parameterized.getRawType()) + Arrays.stream(parameterized.getActualTypeArguments())
				.map(NetDevhFactoryBeansTests::simpleName)
				.collect(Collectors.joining(", ", "<", ">"));
		}
		return (type instanceof Class<?> cls) ? cls.getSimpleName() : type.getTypeName();
	}

}
