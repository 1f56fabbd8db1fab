package com.example.boot3;

import java.time.Duration;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot 3.5 app on net.devh. Started by another process's test: it exits when
 * that process does ({@code --interop.parent-pid}) and after {@code --interop.lifetime}
 * at the latest, so it never outlives the test run.
 */
@SpringBootApplication
public class Boot3Application {

	public static void main(String[] args) {
		for (String arg : args) {
			if (arg.startsWith("--interop.parent-pid=")) {
				long pid = Long.parseLong(arg.substring("--interop.parent-pid=".length()));
				ProcessHandle.of(pid)
					.ifPresentOrElse((parent) -> parent.onExit().thenRun(() -> System.exit(3)), () -> System.exit(3));
			}
			if (arg.startsWith("--interop.lifetime=")) {
				Duration lifetime = Duration.parse(arg.substring("--interop.lifetime=".length()));
				Thread watchdog = new Thread(() -> {
					try {
						Thread.sleep(lifetime.toMillis());
					}
					catch (InterruptedException ex) {
						return;
					}
					System.exit(4);
				}, "interop-lifetime");
				watchdog.setDaemon(true);
				watchdog.start();
			}
		}
		SpringApplication.run(Boot3Application.class, args);
	}

}
