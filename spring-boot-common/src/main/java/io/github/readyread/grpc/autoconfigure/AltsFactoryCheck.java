package io.github.readyread.grpc.autoconfigure;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.function.Function;
import java.util.function.Predicate;

import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.framework.AbstractAdvisingBeanPostProcessor;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Puts {@link AltsAppliedCheck} around the method by which an integration's server or
 * channel factory beans create a server or a client channel, so that one built without
 * the transport, while {@code grpc.ready-read.alts.*} asks for ALTS, fails before it
 * serves or connects: a server before its lifecycle starts it, a channel before the
 * application's first call. Each factory bean becomes a class-based proxy (as Spring's
 * own method validation and asynchronous post-processors do); registered only while ALTS
 * is asked for.
 *
 * <p>
 * A factory whose class or creating method is final cannot be wrapped. For servers that
 * is left to {@link AltsAppliedCheck#serverStarted}, which checks every server as it
 * starts; a channel factory that cannot be wrapped fails startup, since nothing else
 * would see its channels.
 */
public final class AltsFactoryCheck extends AbstractAdvisingBeanPostProcessor {

	private final Class<?> factoryType;

	private final Predicate<Method> creating;

	private final @Nullable String unwrappable;

	private AltsFactoryCheck(Class<?> factoryType, Predicate<Method> creating, MethodInterceptor check,
			@Nullable String unwrappable) {
		this.factoryType = factoryType;
		this.creating = creating;
		this.unwrappable = unwrappable;
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
	 * @param network whether a factory class builds servers on a network address
	 * @param address where a factory's server would listen, {@code null} if it does not
	 * say
	 * @param check the context's check, looked up on the first server
	 * @param notConfigured what builds a server without the transport on this integration
	 * and how to fix it, after "probably "
	 * @return the post-processor
	 */
	public static AltsFactoryCheck servers(Class<?> factoryType, Predicate<Class<?>> network,
			Function<Object, @Nullable String> address, ObjectProvider<AltsAppliedCheck> check, String notConfigured) {
		Predicate<Method> creating = (method) -> method.getName().equals("createServer")
				&& method.getParameterCount() == 0 && Server.class.isAssignableFrom(method.getReturnType());
		return new AltsFactoryCheck(factoryType, creating, new ServerCreation(network, address, check, notConfigured),
				null);
	}

	/**
	 * Checks every client channel that a factory creates, before it is used.
	 * @param factoryType the integration's channel factory interface, whose
	 * {@code createChannel} methods (the channel's name first) are wrapped
	 * @param inProcess whether a factory class, or a channel's name, is in-process: such
	 * a channel is left alone
	 * @param names how the integration names its channel factory beans and what to do
	 * about one that cannot be wrapped, for the startup failure
	 * @param check the context's check, looked up on the first channel
	 * @param notConfigured what builds channels without the transport on this integration
	 * and how to fix it, after "probably "
	 * @return the post-processor
	 */
	public static AltsFactoryCheck channels(Class<?> factoryType, InProcess inProcess, String names,
			ObjectProvider<AltsAppliedCheck> check, String notConfigured) {
		Predicate<Method> creating = (method) -> method.getName().equals("createChannel")
				&& method.getParameterCount() > 0 && method.getParameterTypes()[0] == String.class
				&& ManagedChannel.class.isAssignableFrom(method.getReturnType());
		return new AltsFactoryCheck(factoryType, creating, new ChannelCreation(inProcess, check, notConfigured), names);
	}

	@Override
	protected boolean isEligible(Object bean, String beanName) {
		if (!this.factoryType.isInstance(bean) || !super.isEligible(bean, beanName)) {
			return false;
		}
		if (bean instanceof Advised advised && !advised.isProxyTargetClass()) {
			return true; // an interface-based proxy: the advisor is added to it
		}
		Class<?> type = ClassUtils.getUserClass(bean);
		if (!Modifier.isFinal(type.getModifiers()) && !hasFinalCreatingMethod(type)) {
			return true;
		}
		if (this.unwrappable != null) {
			throw new IllegalStateException("grpc.ready-read.alts.client-channels asks for ALTS, and the "
					+ this.factoryType.getSimpleName() + " bean '" + beanName + "' (" + type.getName()
					+ ") cannot be checked for it: its class or its createChannel method is final, so the channels it"
					+ " creates cannot be seen. " + this.unwrappable);
		}
		return false;
	}

	private boolean hasFinalCreatingMethod(Class<?> type) {
		for (Method method : ReflectionUtils.getUniqueDeclaredMethods(type)) {
			if (this.creating.test(method) && Modifier.isFinal(method.getModifiers())) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Which channels are in-process, and left alone.
	 */
	public interface InProcess {

		/**
		 * Whether every channel that a factory class creates is in-process.
		 * @param factory the factory's class
		 * @return whether it is an in-process factory
		 */
		boolean factory(Class<?> factory);

		/**
		 * Whether a channel of this name is in-process, whichever factory creates it.
		 * @param name the channel's name
		 * @return whether it is in-process
		 */
		boolean channel(String name);

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

		private final Predicate<Class<?>> network;

		private final Function<Object, @Nullable String> address;

		private final ObjectProvider<AltsAppliedCheck> check;

		private final String notConfigured;

		ServerCreation(Predicate<Class<?>> network, Function<Object, @Nullable String> address,
				ObjectProvider<AltsAppliedCheck> check, String notConfigured) {
			this.network = network;
			this.address = address;
			this.check = check;
			this.notConfigured = notConfigured;
		}

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			AltsAppliedCheck check = this.check.getIfAvailable();
			Object factory = invocation.getThis();
			if (check == null || !check.coversServer() || factory == null
					|| !this.network.test(ClassUtils.getUserClass(factory))) {
				return invocation.proceed();
			}
			Registration before = check.serverRegistration();
			Object server = invocation.proceed();
			try {
				check.serverCreated(before, ClassUtils.getUserClass(factory).getName(), this.address.apply(factory),
						this.notConfigured);
			}
			catch (IllegalStateException ex) {
				if (server instanceof Server created) {
					created.shutdownNow();
				}
				throw ex;
			}
			return server;
		}

	}

	private static final class ChannelCreation implements MethodInterceptor {

		private final InProcess inProcess;

		private final ObjectProvider<AltsAppliedCheck> check;

		private final String notConfigured;

		ChannelCreation(InProcess inProcess, ObjectProvider<AltsAppliedCheck> check, String notConfigured) {
			this.inProcess = inProcess;
			this.check = check;
			this.notConfigured = notConfigured;
		}

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			AltsAppliedCheck check = this.check.getIfAvailable();
			Object factory = invocation.getThis();
			Object[] arguments = invocation.getArguments();
			if (check == null || factory == null || arguments.length == 0 || !(arguments[0] instanceof String name)
					|| !check.coversChannel(name) || this.inProcess.factory(ClassUtils.getUserClass(factory))
					|| this.inProcess.channel(name)) {
				return invocation.proceed();
			}
			Registration before = check.channelRegistration(name);
			Object channel = invocation.proceed();
			try {
				check.channelCreated(name, before, ClassUtils.getUserClass(factory).getName(), this.notConfigured);
			}
			catch (IllegalStateException ex) {
				if (channel instanceof ManagedChannel created) {
					created.shutdownNow();
				}
				throw ex;
			}
			return channel;
		}

	}

}
