package io.github.readyread.grpc.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;

/**
 * Runs the {@link Check} beans of the context a {@link SpringApplication} has started:
 * once after the refresh, before the runners ({@link #started}), and once after the
 * runners ({@link #ready}); each time before the application's own run listeners announce
 * it (this one is ordered first). SpringApplication calls run listeners itself, not
 * through the context's event multicaster, so a check that throws fails startup
 * (SpringApplication closes the context and rethrows) whatever
 * {@code applicationEventMulticaster} the application defines: an asynchronous one, or
 * one whose error handler logs what listeners throw. Registered in
 * {@code META-INF/spring.factories} of each integration's auto-configuration module; with
 * the integration's ALTS auto-configuration off there is no check bean, and it does
 * nothing.
 */
public final class AltsCheckRunListener implements SpringApplicationRunListener, Ordered {

	/**
	 * Created by SpringApplication for each run.
	 * @param application the application
	 * @param args its arguments
	 */
	public AltsCheckRunListener(SpringApplication application, String[] args) {
	}

	@Override
	public void started(ConfigurableApplicationContext context, Duration timeTaken) {
		check(context);
	}

	@Override
	public void ready(ConfigurableApplicationContext context, Duration timeTaken) {
		check(context);
	}

	/**
	 * Runs the checks of this context only: a parent's are run by the parent's own start
	 * (a child started after it must not fail for what the parent built since).
	 */
	private static void check(ConfigurableApplicationContext context) {
		ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
		List<Check> checks = new ArrayList<>(beanFactory.getBeansOfType(Check.class, false, true).values());
		AnnotationAwareOrderComparator.sort(checks);
		checks.forEach(Check::check);
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	/**
	 * A check that fails startup when it throws, run by {@link AltsCheckRunListener}
	 * after the context's refresh and again after the runners.
	 */
	public interface Check {

		/**
		 * Checks what the context has built so far.
		 * @throws IllegalStateException to fail startup
		 */
		void check();

	}

}
