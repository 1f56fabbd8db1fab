package io.github.readyread.grpc.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

/**
 * The download-loop chart: client pinned pool bytes over time, one panel per security and
 * message size, one line per configuration.
 */
final class DownloadChart {

	private static final int PANEL_WIDTH = 560;

	private static final int PANEL_HEIGHT = 300;

	private static final int MARGIN = 60;

	/** One colour per configuration, the same whichever configurations a run drew. */
	private static final Map<String, Color> COLORS = Map.of("ready", new Color(0x1b9e77), "io_uring",
			new Color(0xd95f02), "conventional", new Color(0xe7298a), "stock", new Color(0x7570b3));

	private DownloadChart() {
	}

	/**
	 * @param series per panel title, per configuration, the samples {millis, pinned}
	 * @param subtitle machine line
	 */
	static void write(Path file, List<String> panels, List<String> configs,
			Map<String, Map<String, List<long[]>>> series, String subtitle) throws IOException {
		System.setProperty("java.awt.headless", "true");
		int columns = 2;
		int rows = (panels.size() + 1) / columns;
		int width = columns * PANEL_WIDTH;
		int height = rows * PANEL_HEIGHT + 50;
		BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = image.createGraphics();
		g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
		g.setColor(Color.WHITE);
		g.fillRect(0, 0, width, height);
		g.setColor(Color.BLACK);
		g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
		g.drawString("Download loop (64 MiB per call): client pinned pool bytes over time", 10, 20);
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
		g.drawString(subtitle, 10, 38);
		for (int p = 0; p < panels.size(); p++) {
			int x0 = (p % columns) * PANEL_WIDTH;
			int y0 = 50 + (p / columns) * PANEL_HEIGHT;
			panel(g, x0, y0, panels.get(p), configs, series.getOrDefault(panels.get(p), Map.of()));
		}
		g.dispose();
		ImageIO.write(image, "png", file.toFile());
	}

	private static void panel(Graphics2D g, int x0, int y0, String title, List<String> configs,
			Map<String, List<long[]>> lines) {
		int left = x0 + MARGIN;
		int top = y0 + 25;
		int plotWidth = PANEL_WIDTH - MARGIN - 20;
		int plotHeight = PANEL_HEIGHT - 70;
		g.setColor(Color.BLACK);
		g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
		g.drawString(title, x0 + 10, y0 + 15);
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
		g.drawRect(left, top, plotWidth, plotHeight);
		long maxMillis = 1;
		long maxBytes = 1;
		for (List<long[]> samples : lines.values()) {
			for (long[] s : samples) {
				maxMillis = Math.max(maxMillis, s[0]);
				maxBytes = Math.max(maxBytes, s[1]);
			}
		}
		if (lines.isEmpty()) {
			g.drawString("n/a (no data)", left + plotWidth / 2 - 30, top + plotHeight / 2);
		}
		double maxMiB = maxBytes / 1048576.0;
		for (int i = 0; i <= 4; i++) {
			int y = top + plotHeight - i * plotHeight / 4;
			g.drawString(String.format("%.1f", maxMiB * i / 4), x0 + 5, y + 4);
			g.drawString(String.format("%.1fs", maxMillis / 1000.0 * i / 4), left + i * plotWidth / 4 - 10,
					top + plotHeight + 14);
		}
		g.drawString("MiB", x0 + 5, top - 5);
		g.setStroke(new BasicStroke(1.5f));
		int legend = 0;
		for (int c = 0; c < configs.size(); c++) {
			List<long[]> samples = lines.get(configs.get(c));
			g.setColor(COLORS.getOrDefault(configs.get(c), Color.GRAY));
			String label = configs.get(c) + ((samples != null) ? "" : " (n/a)");
			g.drawString(label, left + 10 + legend, top + plotHeight + 30);
			legend += 110;
			if (samples == null) {
				continue;
			}
			int lastX = -1;
			int lastY = -1;
			for (long[] s : samples) {
				int x = left + (int) (s[0] * plotWidth / maxMillis);
				int y = top + plotHeight - (int) (s[1] * plotHeight / maxBytes);
				if (lastX >= 0) {
					g.drawLine(lastX, lastY, x, y);
				}
				lastX = x;
				lastY = y;
			}
		}
	}

}
