// Live chart of the shared pool's bytes: polls /demo/pool every second and draws up to the
// last two minutes on a <canvas>. No libraries, no build step.
//
// For tests and the curious, window.poolChart holds the state:
//   samples      figures received, oldest first (at most WINDOW_SECONDS + 1)
//   samplesDrawn how many samples the last draw plotted (also canvas data-samples-drawn)
//   draws        how many times the chart was drawn
//   lastError    the last polling error, or null
(function () {
	'use strict';

	var POLL_MILLIS = 1000;
	var WINDOW_SECONDS = 120;
	var MIN_WINDOW_SECONDS = 30;
	var MIB = 1024 * 1024;

	var SERIES = [
		{ key: 'reservedDirectBytes', label: 'Reserved (pool holds from the OS)', color: '#0969da', width: 2.5, dash: [], swatch: '' },
		{ key: 'pinnedDirectBytes', label: 'Pinned (in buffers not yet released)', color: '#cf222e', width: 2.5, dash: [], swatch: '' },
		{ key: 'readPathPinnedBytes', label: 'Pinned by the read path', color: '#1a7f37', width: 2, dash: [8, 5], swatch: 'dashed' },
		{ key: 'incompleteBytes', label: 'Incomplete frame bytes', color: '#8250df', width: 2, dash: [2, 4], swatch: 'dotted' }
	];

	var state = { samples: [], samplesDrawn: 0, draws: 0, lastError: null };
	window.poolChart = state;

	var canvas = document.getElementById('chart');
	var ctx = canvas.getContext('2d');
	var cssWidth = canvas.width;
	var cssHeight = canvas.height;
	var ratio = window.devicePixelRatio || 1;
	canvas.width = Math.round(cssWidth * ratio);
	canvas.height = Math.round(cssHeight * ratio);
	ctx.scale(ratio, ratio);

	var legend = document.getElementById('legend');
	var legendValues = {};
	SERIES.forEach(function (series) {
		var entry = document.createElement('span');
		entry.className = 'legend-entry';
		var swatch = document.createElement('span');
		swatch.className = 'legend-swatch ' + series.swatch;
		swatch.style.borderTopColor = series.color;
		var label = document.createElement('span');
		label.textContent = series.label + ':';
		var value = document.createElement('span');
		value.className = 'legend-value';
		value.id = 'value-' + series.key;
		value.textContent = '–';
		entry.appendChild(swatch);
		entry.appendChild(label);
		entry.appendChild(value);
		legend.appendChild(entry);
		legendValues[series.key] = value;
	});

	function formatBytes(bytes) {
		if (bytes >= MIB) {
			return (bytes / MIB).toFixed(bytes >= 100 * MIB ? 0 : 2) + ' MiB';
		}
		if (bytes >= 1024) {
			return (bytes / 1024).toFixed(1) + ' KiB';
		}
		return bytes + ' B';
	}

	// A round axis maximum in MiB (1, 2, 5 x 10^n) at or above the largest value.
	function niceMaxMib(maxBytes) {
		var mib = Math.max(maxBytes / MIB, 1);
		var power = Math.pow(10, Math.floor(Math.log10(mib)));
		var steps = [1, 2, 5, 10];
		for (var i = 0; i < steps.length; i++) {
			if (steps[i] * power >= mib) {
				return steps[i] * power;
			}
		}
		return 10 * power;
	}

	function draw() {
		var left = 78, right = 20, top = 20, bottom = 52;
		var plotWidth = cssWidth - left - right;
		var plotHeight = cssHeight - top - bottom;
		var samples = state.samples;
		var now = samples.length ? samples[samples.length - 1].time : Date.now();
		// The time axis grows with the samples, from 30 s up to two minutes.
		var span = samples.length ? (now - samples[0].time) / 1000 : 0;
		var windowSeconds = Math.min(WINDOW_SECONDS, Math.max(MIN_WINDOW_SECONDS, Math.ceil(span / 10) * 10));
		var tickSeconds = windowSeconds <= 30 ? 5 : (windowSeconds <= 60 ? 10 : 20);

		ctx.clearRect(0, 0, cssWidth, cssHeight);
		ctx.fillStyle = '#ffffff';
		ctx.fillRect(0, 0, cssWidth, cssHeight);

		var maxBytes = 0;
		samples.forEach(function (sample) {
			SERIES.forEach(function (series) {
				maxBytes = Math.max(maxBytes, sample[series.key] || 0);
			});
		});
		var maxMib = niceMaxMib(maxBytes);

		function x(time) {
			return left + plotWidth * (1 - (now - time) / (windowSeconds * 1000));
		}
		function y(bytes) {
			return top + plotHeight * (1 - bytes / MIB / maxMib);
		}

		// Grid and y axis ticks (MiB).
		ctx.font = '12px system-ui, "DejaVu Sans", sans-serif';
		ctx.strokeStyle = '#eaeef2';
		ctx.fillStyle = '#57606a';
		ctx.lineWidth = 1;
		ctx.textAlign = 'right';
		ctx.textBaseline = 'middle';
		var yTicks = 5;
		for (var i = 0; i <= yTicks; i++) {
			var valueMib = maxMib * i / yTicks;
			var ty = top + plotHeight * (1 - i / yTicks);
			ctx.beginPath();
			ctx.moveTo(left, ty);
			ctx.lineTo(left + plotWidth, ty);
			ctx.stroke();
			ctx.fillText(valueMib.toFixed(maxMib < 5 ? 1 : 0), left - 8, ty);
		}
		// x axis ticks (seconds ago).
		ctx.textAlign = 'center';
		ctx.textBaseline = 'top';
		for (var s = 0; s <= windowSeconds; s += tickSeconds) {
			var tx = left + plotWidth * (1 - s / windowSeconds);
			ctx.beginPath();
			ctx.moveTo(tx, top);
			ctx.lineTo(tx, top + plotHeight);
			ctx.stroke();
			ctx.fillText(s === 0 ? 'now' : '-' + s, tx, top + plotHeight + 6);
		}
		// Axes.
		ctx.strokeStyle = '#57606a';
		ctx.beginPath();
		ctx.moveTo(left, top);
		ctx.lineTo(left, top + plotHeight);
		ctx.lineTo(left + plotWidth, top + plotHeight);
		ctx.stroke();
		// Axis labels.
		ctx.fillStyle = '#1f2328';
		ctx.font = '13px system-ui, "DejaVu Sans", sans-serif';
		ctx.fillText('time (seconds ago)', left + plotWidth / 2, top + plotHeight + 26);
		ctx.save();
		ctx.translate(18, top + plotHeight / 2);
		ctx.rotate(-Math.PI / 2);
		ctx.textBaseline = 'middle';
		ctx.fillText('pool bytes (MiB)', 0, 0);
		ctx.restore();

		// Series.
		ctx.save();
		ctx.beginPath();
		ctx.rect(left, top - 2, plotWidth + 2, plotHeight + 4);
		ctx.clip();
		SERIES.forEach(function (series) {
			ctx.strokeStyle = series.color;
			ctx.lineWidth = series.width;
			ctx.setLineDash(series.dash);
			ctx.lineJoin = 'round';
			ctx.beginPath();
			samples.forEach(function (sample, index) {
				var px = x(sample.time);
				var py = y(sample[series.key] || 0);
				if (index === 0) {
					ctx.moveTo(px, py);
				}
				else {
					ctx.lineTo(px, py);
				}
			});
			if (samples.length === 1) {
				// One sample: a short mark so it is visible at all.
				ctx.lineTo(x(samples[0].time) - 4, y(samples[0][series.key] || 0));
			}
			ctx.stroke();
		});
		ctx.restore();
		ctx.setLineDash([]);

		if (!samples.length) {
			ctx.fillStyle = '#57606a';
			ctx.textAlign = 'center';
			ctx.textBaseline = 'middle';
			ctx.fillText('waiting for figures…', left + plotWidth / 2, top + plotHeight / 2);
		}

		state.samplesDrawn = samples.length;
		state.draws++;
		canvas.dataset.samplesDrawn = String(samples.length);
	}

	function text(id, value) {
		document.getElementById(id).textContent = value;
	}

	function show(figures) {
		SERIES.forEach(function (series) {
			legendValues[series.key].textContent = formatBytes(figures[series.key] || 0);
		});
		var mode = document.getElementById('mode');
		mode.textContent = figures.mode;
		mode.className = 'badge ' + figures.mode;
		text('transport', figures.transport);
		text('read-path', figures.readPath);
		text('fallback-reason', figures.fallbackReason ? '(' + figures.fallbackReason + ')' : '');
		text('download-rate', (figures.downloadBytesPerSecond / 1e6).toFixed(1));
		text('downloads-ok', figures.downloadsCompleted);
		text('downloads-failed', figures.downloadsFailed);
		text('connections', figures.connections);
		text('idle', figures.idleConnections);
		text('stalled', figures.stalledStreams);
		text('reserved-heap', formatBytes(figures.reservedHeapBytes));
		text('pinned-heap', formatBytes(figures.pinnedHeapBytes));
		document.getElementById('bufferpool-link').hidden = !figures.bufferpoolEndpoint;
		var status = document.getElementById('status');
		status.className = 'status';
		status.textContent = 'Live: ' + state.samples.length + ' samples, last at '
			+ new Date(figures.time).toLocaleTimeString() + '.';
	}

	function poll() {
		fetch('demo/pool', { cache: 'no-store' })
			.then(function (response) {
				if (!response.ok) {
					throw new Error('HTTP ' + response.status);
				}
				return response.json();
			})
			.then(function (figures) {
				state.samples.push(figures);
				var oldest = figures.time - WINDOW_SECONDS * 1000;
				while (state.samples.length && state.samples[0].time < oldest) {
					state.samples.shift();
				}
				state.lastError = null;
				draw();
				show(figures);
			})
			.catch(function (error) {
				state.lastError = String(error);
				var status = document.getElementById('status');
				status.className = 'status error';
				status.textContent = 'Cannot read /demo/pool: ' + error + ' (retrying every second)';
			})
			.finally(function () {
				setTimeout(poll, POLL_MILLIS);
			});
	}

	draw();
	poll();
})();
