package com.example.readyread.sample;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Opens the chart page in real headless Chromium (Debian packages {@code chromium} and
 * {@code chromium-driver}, see {@code .ci/install-chromium.sh}) and checks that it draws
 * live figures. Saves a screenshot to {@code target/chart.png}, and also to the path in
 * system property {@code sample.screenshot} if set (used to regenerate the README's).
 */
class PoolChartPageTests extends RunningSampleTests {

	static final Path CHROMIUM = Paths.get("/usr/bin/chromium");

	static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");

	/** The reserved series' colour in pool-chart.js, #0969da. */
	static final int[] RESERVED_RGB = { 0x09, 0x69, 0xda };

	@LocalServerPort
	int port;

	ChromeDriver browser;

	@BeforeEach
	void startBrowser(@TempDir Path profile) {
		assumeTrue(Files.isExecutable(CHROMIUM), "/usr/bin/chromium is not installed (.ci/install-chromium.sh)");
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
				"--user-data-dir=" + profile, "--window-size=1100,1000");
		ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
			.usingAnyFreePort()
			.build();
		this.browser = new ChromeDriver(service, options);
	}

	@AfterEach
	void stopBrowser() {
		if (this.browser != null) {
			this.browser.quit();
		}
	}

	@Test
	void chartDrawsLiveReservedAndPinnedBytes() throws IOException {
		this.browser.get("http://localhost:" + this.port + "/");
		assertThat(this.browser.getTitle()).contains("pool bytes");

		// A screenshot for the README shows half a minute of figures; the check needs
		// three.
		String docs = System.getProperty("sample.screenshot");
		int samplesWanted = (docs != null && !docs.isBlank()) ? 30 : 3;
		new WebDriverWait(this.browser, Duration.ofSeconds(30 + 2 * samplesWanted)).until((driver) -> script("""
				var s = window.poolChart;
				return s != null && s.samplesDrawn >= arguments[0]
					&& s.samples[s.samples.length - 1].reservedDirectBytes > 0;
				""", samplesWanted));

		List<?> samples = (List<?>) script("return window.poolChart.samples;");
		@SuppressWarnings("unchecked")
		Map<String, Object> last = (Map<String, Object>) samples.get(samples.size() - 1);
		assertThat(((Number) last.get("reservedDirectBytes")).longValue()).isPositive();
		assertThat(last).containsKeys("pinnedDirectBytes", "readPathPinnedBytes", "incompleteBytes", "mode");
		long drawnAttribute = Long
			.parseLong(this.browser.findElement(By.id("chart")).getDomAttribute("data-samples-drawn"));
		assertThat(drawnAttribute).isGreaterThanOrEqualTo(3);

		// The figures are the app's, and they change: samples carry increasing times.
		long firstTime = ((Number) ((Map<?, ?>) samples.get(0)).get("time")).longValue();
		long lastTime = ((Number) last.get("time")).longValue();
		assertThat(lastTime).isGreaterThan(firstTime);

		// The canvas is not blank: pixels of the reserved series' colour are on it.
		long reservedPixels = ((Number) script(
				"""
						var canvas = document.getElementById('chart');
						var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
						var r = arguments[0], g = arguments[1], b = arguments[2], count = 0;
						for (var i = 0; i < data.length; i += 4) {
							if (Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40) {
								count++;
							}
						}
						return count;
						""",
				RESERVED_RGB[0], RESERVED_RGB[1], RESERVED_RGB[2]))
			.longValue();
		assertThat(reservedPixels).as("pixels of the reserved line").isGreaterThan(10);

		// Readable without explanation: mode, current values with units, axis titles
		// exist.
		assertThat(this.browser.findElement(By.id("mode")).getText()).isIn("ready-read", "fallback");
		assertThat(this.browser.findElement(By.id("value-reservedDirectBytes")).getText())
			.matches("[0-9.]+ (MiB|KiB|B)");
		assertThat(this.browser.findElement(By.id("value-pinnedDirectBytes")).getText()).matches("[0-9.]+ (MiB|KiB|B)");
		assertThat(this.browser.findElement(By.id("legend")).getText()).contains("Reserved").contains("Pinned");

		File screenshot = this.browser.getScreenshotAs(OutputType.FILE);
		Path target = Paths.get("target", "chart.png");
		Files.createDirectories(target.getParent());
		Files.copy(screenshot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
		assertThat(Files.size(target)).isPositive();
		if (docs != null && !docs.isBlank()) {
			Path copy = Paths.get(docs);
			if (copy.getParent() != null) {
				Files.createDirectories(copy.getParent());
			}
			Files.copy(screenshot.toPath(), copy, StandardCopyOption.REPLACE_EXISTING);
		}
	}

	private Object script(String script, Object... args) {
		return ((JavascriptExecutor) this.browser).executeScript(script, args);
	}

}
