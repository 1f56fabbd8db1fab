package com.example.readyread.sample;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Serves the figures the chart at {@code /} plots, in a shape this app owns (the
 * library's {@code /actuator/bufferpool} has more, in its own shape).
 */
@RestController
class PoolController {

	private final PoolMonitor monitor;

	PoolController(PoolMonitor monitor) {
		this.monitor = monitor;
	}

	@GetMapping(path = "/demo/pool", produces = "application/json")
	PoolFigures pool() {
		return this.monitor.figures();
	}

}
