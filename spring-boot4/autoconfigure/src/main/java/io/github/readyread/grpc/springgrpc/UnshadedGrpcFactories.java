package io.github.readyread.grpc.springgrpc;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.AutowireCapableBeanFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.core.Ordered;
import org.springframework.util.ClassUtils;

/**
 * Makes Spring Boot build its unshaded Netty gRPC server and channel factories where it
 * chose the shaded ones.
 *
 * <p>
 * Spring Boot prefers {@code grpc-netty-shaded} when it is on the classpath (Google Cloud
 * client libraries bring it), and a shaded builder cannot be put on the ready-read
 * transport. Spring Boot's configurations for the two are alike: the same inputs, a
 * different factory. So each bean definition of a shaded factory (and of its server
 * lifecycle) is replaced by one that calls the unshaded configuration's own factory
 * method: Spring Boot's code still builds the factory, with its SSL bundles, properties
 * and customizers. The classes and methods named here are pinned by
 * {@code UnshadedGrpcFactoriesTests}.
 */
final class UnshadedGrpcFactories implements BeanDefinitionRegistryPostProcessor, Ordered {

	static final String SERVER_PACKAGE = "org.springframework.boot.grpc.server.autoconfigure.";

	static final String CLIENT_PACKAGE = "org.springframework.boot.grpc.client.autoconfigure.";

	/** Spring Boot's bean: the unshaded configuration's factory method that builds it. */
	static final Map<String, Redirect> REDIRECTS = redirects();

	private static Map<String, Redirect> redirects() {
		Map<String, Redirect> redirects = new LinkedHashMap<>();
		redirects.put("shadedNettyGrpcServerFactory",
				new Redirect(SERVER_PACKAGE + "ShadedNettyGrpcServerConfiguration",
						SERVER_PACKAGE + "NettyGrpcServerConfiguration", "nettyGrpcServerFactory"));
		redirects.put("shadedNettyGrpcServerLifecycle",
				new Redirect(SERVER_PACKAGE + "ShadedNettyGrpcServerConfiguration",
						SERVER_PACKAGE + "NettyGrpcServerConfiguration", "nettyGrpcServerLifecycle"));
		redirects.put("shadedNettyGrpcChannelFactory",
				new Redirect(CLIENT_PACKAGE + "ShadedNettyGrpcClientConfiguration",
						CLIENT_PACKAGE + "NettyGrpcClientConfiguration", "nettyGrpcChannelFactory"));
		return Map.copyOf(redirects);
	}

	@Override
	public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) throws BeansException {
		Map<String, String> configurations = new LinkedHashMap<>();
		for (Map.Entry<String, Redirect> entry : REDIRECTS.entrySet()) {
			String shaded = entry.getKey();
			Redirect redirect = entry.getValue();
			if (!registry.containsBeanDefinition(shaded)) {
				continue;
			}
			BeanDefinition definition = registry.getBeanDefinition(shaded);
			String owner = definition.getFactoryBeanName();
			if (owner == null || !registry.containsBeanDefinition(owner)
					|| !redirect.shadedConfiguration().equals(registry.getBeanDefinition(owner).getBeanClassName())) {
				continue; // the application's own bean of that name: not ours to replace
			}
			String configuration = configurations.computeIfAbsent(redirect.unshadedConfiguration(),
					(type) -> register(registry, type));
			RootBeanDefinition unshaded = new RootBeanDefinition();
			unshaded.setFactoryBeanName(configuration);
			unshaded.setUniqueFactoryMethodName(redirect.factoryMethod());
			unshaded.setAutowireMode(AutowireCapableBeanFactory.AUTOWIRE_CONSTRUCTOR);
			unshaded.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
			registry.removeBeanDefinition(shaded);
			registry.registerBeanDefinition(redirect.factoryMethod(), unshaded);
		}
	}

	private static String register(BeanDefinitionRegistry registry, String type) {
		Class<?> configuration;
		try {
			configuration = ClassUtils.forName(type, UnshadedGrpcFactories.class.getClassLoader());
		}
		catch (ClassNotFoundException | LinkageError ex) {
			throw new IllegalStateException("grpc-netty-shaded is on the classpath and the ready-read transport"
					+ " cannot find Spring Boot's unshaded " + type + " to use instead: this Spring Boot version is"
					+ " not supported (set grpc.ready-read.enabled=false, or exclude grpc-netty-shaded)", ex);
		}
		String name = "readyRead." + ClassUtils.getShortName(type);
		RootBeanDefinition definition = new RootBeanDefinition(configuration);
		definition.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
		registry.registerBeanDefinition(name, definition);
		return name;
	}

	@Override
	public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) throws BeansException {
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	/**
	 * Where the bean of a shaded factory is built instead.
	 *
	 * @param shadedConfiguration Spring Boot's configuration class that declares it
	 * @param unshadedConfiguration Spring Boot's unshaded twin of that class
	 * @param factoryMethod the unshaded twin's factory method, also the new bean's name
	 */
	record Redirect(String shadedConfiguration, String unshadedConfiguration, String factoryMethod) {
	}

}
