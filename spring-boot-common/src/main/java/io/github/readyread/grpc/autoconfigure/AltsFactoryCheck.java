package io.github.readyread.grpc.autoconfigure;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.Advisor;
import org.springframework.aop.framework.AbstractAdvisingBeanPostProcessor;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Puts {@link AltsAppliedCheck} around the method by which an integration's server or
 * channel factory beans create a server or a client channel, so that one built without
 * the transport, while {@code grpc.ready-read.alts.*} asks for ALTS, fails before it
 * serves or connects: a server before its lifecycle starts it, a channel before the
 * application's first call. What a creation put on the transport is what the
 * integration's configurers report through {@link #configured} on the creating thread
 * during that call, so a concurrent creation elsewhere cannot stand in for it. Each
 * factory bean becomes a class-based proxy (as Spring's own method validation and
 * asynchronous post-processors do); registered only while ALTS is asked for.
 *
 * <p>
 * A class that a subclass cannot fully stand in for (final, or with a final method, which
 * would run on the proxy's own empty fields) is not subclassed: a channel factory gets an
 * interface-based proxy instead, a server factory is left to
 * {@link AltsAppliedCheck#serverStarted}, which checks every server as it starts. Once
 * the singletons are created, every channel factory bean must carry the check (one
 * created too early for the post-processors fails startup), since nothing else sees its
 * channels.
 */
public final class AltsFactoryCheck extends AbstractAdvisingBeanPostProcessor
		implements BeanFactoryAware, SmartInitializingSingleton {

	/** What the server configurers reported during the server creation under way here. */
	private static final ThreadLocal<@Nullable List<Configured>> serverCreation = new ThreadLocal<>();

	/**
	 * What the channel customizers reported during the channel creation under way here.
	 */
	private static final ThreadLocal<@Nullable List<Configured>> channelCreation = new ThreadLocal<>();

	private final Class<?> factoryType;

	private final Predicate<Method> creating;

	private final boolean channels;

	private final Predicate<Class<?>> leftAlone;

	private @Nullable ConfigurableListableBeanFactory beanFactory;

	private AltsFactoryCheck(Class<?> factoryType, Predicate<Method> creating, MethodInterceptor check,
			boolean channels, Predicate<Class<?>> leftAlone) {
		this.factoryType = factoryType;
		this.creating = creating;
		this.channels = channels;
		this.leftAlone = leftAlone;
		setProxyTargetClass(true);
		setBeforeExistingAdvisors(true);
		this.advisor = new DefaultPointcutAdvisor(new CreatingMethods(factoryType, creating), check);
	}

	/**
	 * Checks every server that a factory known to build servers on a network address
	 * creates, before it is started; servers of other factories are left to
	 * {@link AltsAppliedCheck#serverStarted}.
	 * @param factoryType the integration's server factory interface, whose
	 * {@code createServer()} is wrapped
	 * @param networkFactories the integration's factory classes, by name, that build
	 * servers on a network address (or a domain socket): a factory that is, or extends,
	 * one of them is checked here
	 * @param address where a factory's server would listen, {@code null} if it does not
	 * say
	 * @param check the context's check, looked up on the first server
	 * @param notConfigured what builds a server without the transport on this integration
	 * and how to fix it, after "probably "
	 * @return the post-processor
	 */
	public static AltsFactoryCheck servers(Class<?> factoryType, Set<String> networkFactories,
			Function<Object, @Nullable String> address, ObjectProvider<AltsAppliedCheck> check, String notConfigured) {
		Predicate<Class<?>> network = (type) -> isOrExtendsAny(type, networkFactories);
		Predicate<Method> creating = (method) -> method.getName().equals("createServer")
				&& method.getParameterCount() == 0 && Server.class.isAssignableFrom(method.getReturnType());
		return new AltsFactoryCheck(factoryType, creating, new ServerCreation(address, check, notConfigured), false,
				network.negate());
	}

	/**
	 * Checks every client channel that a factory creates, before it is used. A channel is
	 * in-process, and left alone, when its factory is an in-process one, its name is an
	 * {@code in-process:} target, or the configurers saw an in-process builder for it.
	 * @param factoryType the integration's channel factory interface, whose
	 * {@code createChannel} methods (the channel's name first) are wrapped
	 * @param inProcessFactory whether every channel of a factory class is in-process
	 * @param check the context's check, looked up on the first channel
	 * @param notConfigured what builds channels without the transport on this integration
	 * and how to fix it, after "probably "
	 * @return the post-processor
	 */
	public static AltsFactoryCheck channels(Class<?> factoryType, Predicate<Class<?>> inProcessFactory,
			ObjectProvider<AltsAppliedCheck> check, String notConfigured) {
		Predicate<Method> creating = (method) -> method.getName().equals("createChannel")
				&& method.getParameterCount() > 0 && method.getParameterTypes()[0] == String.class
				&& ManagedChannel.class.isAssignableFrom(method.getReturnType());
		return new AltsFactoryCheck(factoryType, creating, new ChannelCreation(check, notConfigured), true,
				inProcessFactory);
	}

	/**
	 * Reports, from an integration's server configurer or channel customizer, a builder
	 * it has just put on the transport (or left alone): a check around the factory call
	 * under way on this thread takes it as that call's. Outside such a call it does
	 * nothing.
	 * @param registration what the transport registered, {@code null} for a builder it
	 * left alone
	 * @param builder the builder
	 */
	public static void configured(@Nullable Registration registration, Object builder) {
		List<Configured> configured = (builder instanceof ServerBuilder<?>) ? serverCreation.get()
				: channelCreation.get();
		if (configured != null) {
			configured.add(new Configured(registration,
					builder instanceof InProcessServerBuilder || builder instanceof InProcessChannelBuilder));
		}
	}

	/**
	 * Runs a factory call and collects what the configurers reported during it, and only
	 * that: a creation inside it (another factory bean's, which its own check looks at,
	 * or one for another name) reports to a list of its own.
	 */
	private static Created create(ThreadLocal<@Nullable List<Configured>> creation, MethodInvocation invocation)
			throws Throwable {
		List<Configured> outer = creation.get();
		List<Configured> configured = new ArrayList<>();
		creation.set(configured);
		try {
			return new Created(invocation.proceed(), configured);
		}
		finally {
			if (outer != null) {
				creation.set(outer);
			}
			else {
				creation.remove();
			}
		}
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = (beanFactory instanceof ConfigurableListableBeanFactory listable) ? listable : null;
	}

	@Override
	protected boolean isEligible(Object bean, String beanName) {
		if (!this.factoryType.isInstance(bean) || this.leftAlone.test(ClassUtils.getUserClass(bean))) {
			return false;
		}
		return super.isEligible(bean, beanName) && (this.channels || canSubclass(ClassUtils.getUserClass(bean)));
	}

	@Override
	protected ProxyFactory prepareProxyFactory(Object bean, String beanName) {
		ProxyFactory proxyFactory = super.prepareProxyFactory(bean, beanName);
		if (!canSubclass(ClassUtils.getUserClass(bean))) {
			// Only channel factories get here: an interface-based proxy.
			proxyFactory.setProxyTargetClass(false);
		}
		return proxyFactory;
	}

	@Override
	public Class<?> determineBeanType(Class<?> beanClass, String beanName) {
		if (!this.factoryType.isAssignableFrom(beanClass) || this.leftAlone.test(beanClass) || !isEligible(beanClass)) {
			return beanClass;
		}
		if (canSubclass(beanClass)) {
			return super.determineBeanType(beanClass, beanName);
		}
		if (!this.channels) {
			return beanClass;
		}
		ProxyFactory proxyFactory = new ProxyFactory();
		proxyFactory.copyFrom(this);
		proxyFactory.setProxyTargetClass(false);
		proxyFactory.setTargetClass(beanClass);
		proxyFactory.setInterfaces(ClassUtils.getAllInterfacesForClass(beanClass, getProxyClassLoader()));
		proxyFactory.addAdvisor(this.advisor);
		return proxyFactory.getProxyClass(getProxyClassLoader());
	}

	/**
	 * Fails startup for a channel factory bean that does not carry the check: one created
	 * before this post-processor (a dependency of an earlier one), or an existing
	 * class-based proxy whose creating method is final.
	 */
	@Override
	public void afterSingletonsInstantiated() {
		ConfigurableListableBeanFactory beanFactory = this.beanFactory;
		if (!this.channels || beanFactory == null) {
			return;
		}
		for (String name : beanFactory.getBeanNamesForType(this.factoryType, false, false)) {
			if (!beanFactory.containsSingleton(name)) {
				continue;
			}
			Object bean = beanFactory.getBean(name);
			Class<?> type = AopUtils.getTargetClass(bean);
			if (this.leftAlone.test(type) || isChecked(bean, type)) {
				continue;
			}
			throw new IllegalStateException("grpc.ready-read.alts.client-channels asks for ALTS, and the "
					+ this.factoryType.getSimpleName() + " bean '" + name + "' (" + type.getName() + ") was created"
					+ " without the check that its channels run ALTS: it was created before the bean"
					+ " post-processors (for another post-processor that depends on it: make that dependency lazy,"
					+ " through an ObjectProvider), or it is a class-based proxy whose createChannel method is"
					+ " final");
		}
	}

	private boolean isChecked(Object bean, Class<?> type) {
		if (!(bean instanceof Advised advised)) {
			return false;
		}
		boolean carried = false;
		for (Advisor advisor : advised.getAdvisors()) {
			carried |= advisor == this.advisor;
		}
		return carried && (!AopUtils.isCglibProxy(bean) || !hasFinal(type, this.creating));
	}

	private static boolean isOrExtendsAny(Class<?> type, Set<String> classNames) {
		for (Class<?> candidate = type; candidate != null; candidate = candidate.getSuperclass()) {
			if (classNames.contains(candidate.getName())) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether a class-based proxy can stand in for every call: the class is not final and
	 * has no final instance method (which would run on the proxy, whose fields are
	 * empty).
	 */
	private static boolean canSubclass(Class<?> type) {
		return !Modifier.isFinal(type.getModifiers()) && !hasFinal(type, (method) -> true);
	}

	private static boolean hasFinal(Class<?> type, Predicate<Method> methods) {
		for (Method method : ReflectionUtils.getUniqueDeclaredMethods(type)) {
			int modifiers = method.getModifiers();
			if (method.getDeclaringClass() != Object.class && Modifier.isFinal(modifiers)
					&& !Modifier.isStatic(modifiers) && !Modifier.isPrivate(modifiers) && methods.test(method)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * A builder that a configurer reported during a creation.
	 *
	 * @param registration what the transport registered, {@code null} for a builder it
	 * left alone
	 * @param inProcess whether the builder was an in-process one
	 */
	public record Configured(@Nullable Registration registration, boolean inProcess) {
	}

	private record Created(@Nullable Object product, List<Configured> configured) {
	}

	private static final class CreatingMethods extends StaticMethodMatcherPointcut {

		private final Class<?> factoryType;

		private final Predicate<Method> creating;

		CreatingMethods(Class<?> factoryType, Predicate<Method> creating) {
			this.factoryType = factoryType;
			this.creating = creating;
			setClassFilter(factoryType::isAssignableFrom);
		}

		@Override
		public boolean matches(Method method, Class<?> targetClass) {
			return this.factoryType.isAssignableFrom(targetClass) && this.creating.test(method);
		}

	}

	private static final class ServerCreation implements MethodInterceptor {

		private final Function<Object, @Nullable String> address;

		private final ObjectProvider<AltsAppliedCheck> check;

		private final String notConfigured;

		ServerCreation(Function<Object, @Nullable String> address, ObjectProvider<AltsAppliedCheck> check,
				String notConfigured) {
			this.address = address;
			this.check = check;
			this.notConfigured = notConfigured;
		}

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			AltsAppliedCheck check = this.check.getIfAvailable();
			Object factory = invocation.getThis();
			if (check == null || !check.coversServer() || factory == null) {
				return invocation.proceed();
			}
			Created created = create(serverCreation, invocation);
			try {
				check.serverCreated(created.configured(), ClassUtils.getUserClass(factory).getName(),
						this.address.apply(factory), this.notConfigured);
			}
			catch (IllegalStateException ex) {
				if (created.product() instanceof Server server) {
					server.shutdownNow();
				}
				throw ex;
			}
			return created.product();
		}

	}

	private static final class ChannelCreation implements MethodInterceptor {

		private final ObjectProvider<AltsAppliedCheck> check;

		private final String notConfigured;

		/** Channels that passed: a factory that hands one out again (a cache) passes. */
		private final Set<Object> passed = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

		/** Covered creations under way, by name. Guarded by itself. */
		private final Map<String, Integer> underWay = new HashMap<>();

		ChannelCreation(ObjectProvider<AltsAppliedCheck> check, String notConfigured) {
			this.check = check;
			this.notConfigured = notConfigured;
		}

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			AltsAppliedCheck check = this.check.getIfAvailable();
			Object factory = invocation.getThis();
			Object[] arguments = invocation.getArguments();
			if (check == null || factory == null || arguments.length == 0 || !(arguments[0] instanceof String name)) {
				return invocation.proceed();
			}
			if (!check.coversChannel(name)) {
				// Its own list, so that what it reports is not taken for an enclosing
				// creation's.
				return create(channelCreation, invocation).product();
			}
			started(name);
			Object channel;
			try {
				Created created = create(channelCreation, invocation);
				channel = created.product();
				if (channel != null && !this.passed.contains(channel)) {
					check(check, name, created, ClassUtils.getUserClass(factory).getName());
					this.passed.add(channel);
				}
			}
			finally {
				ended(name);
			}
			return channel;
		}

		private void check(AltsAppliedCheck check, String name, Created created, String factory) {
			if (created.configured().isEmpty() && passedOnceOthersEnd(name, created.product())) {
				// A channel that a concurrent creation of the same name built and
				// checked, handed out here by a cache before that creation returned.
				return;
			}
			try {
				check.channelCreated(name, created.configured(), factory, this.notConfigured);
			}
			catch (IllegalStateException ex) {
				// Shut down only a channel this call built: one it reported nothing for
				// may be a cache's, handed out to others too.
				if (!created.configured().isEmpty() && created.product() instanceof ManagedChannel managed) {
					managed.shutdownNow();
				}
				throw ex;
			}
		}

		private void started(String name) {
			synchronized (this.underWay) {
				this.underWay.merge(name, 1, Integer::sum);
			}
		}

		private void ended(String name) {
			synchronized (this.underWay) {
				this.underWay.merge(name, -1, (count, minus) -> (count + minus == 0) ? null : count + minus);
				this.underWay.notifyAll();
			}
		}

		/**
		 * Waits for the other creations of the same name under way (this one is counted
		 * too) to end, and says whether the channel passed in one of them.
		 */
		private boolean passedOnceOthersEnd(String name, @Nullable Object channel) throws IllegalStateException {
			synchronized (this.underWay) {
				while (this.underWay.getOrDefault(name, 0) > 1 && !this.passed.contains(channel)) {
					try {
						this.underWay.wait();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						break;
					}
				}
			}
			return this.passed.contains(channel);
		}

	}

}
