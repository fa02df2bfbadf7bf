// tests/media/test_sdp_chromium.mjs - headless Chromium accepts every SDP
// that media/sdp.c writes for a browser (the WebRTC-form golden outputs in
// tests/media/sdp/): offers get an answer, answers apply to an offer of the
// same shape. Nothing is sent anywhere: no candidate pair is ever checked
// beyond what setRemoteDescription() does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const root = process.env.OVOZ_SOURCE_ROOT ?? process.cwd();
const dir = join(root, 'tests', 'media', 'sdp');
let browser, page;

// The golden cases whose output is for a browser: [local] profile=webrtc.
function webrtcCases() {
	return readdirSync(dir).filter((f) => f.endsWith('.params')).map((f) => {
		const name = f.slice(0, -'.params'.length);
		const params = readFileSync(join(dir, f), 'utf8');
		return {
			name,
			answer: /^kind=answer$/m.test(params),
			webrtc: /^profile=webrtc$/m.test(params),
			error: /^error=/m.test(params),
		};
	}).filter((c) => c.webrtc && !c.error);
}

before(async () => {
	browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
		headless: true, args: ['--no-sandbox', '--disable-gpu',
			'--use-fake-ui-for-media-stream',
			'--use-fake-device-for-media-stream',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--no-first-run'] });
	page = await browser.newPage();
	// getUserMedia needs a secure context; the route answers in-process.
	await page.route('http://localhost/', (r) => r.fulfill({
		contentType: 'text/html', body: '<html></html>' }));
	await page.goto('http://localhost/');
});

after(async () => {
	await browser?.close();
});

// In the page: apply @sdp as the remote description of a max-bundle peer
// connection. For an answer, first make an offer shaped like the one it
// answers (video and data channel, hold).
async function apply(sdp, kind, shape) {
	return page.evaluate(async ([sdp, kind, shape]) => {
		const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
		try {
			const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
			const sender = pc.addTrack(stream.getTracks()[0], stream);
			if (kind === 'offer') {
				await pc.setRemoteDescription({ type: 'offer', sdp });
				await pc.setLocalDescription(await pc.createAnswer());
				return pc.signalingState;
			}
			if (shape.video) {
				pc.addTransceiver('video', { direction: 'recvonly' });
				pc.createDataChannel('chat');
			}
			if (shape.hold) {
				pc.getTransceivers().find((t) => t.sender === sender)
					.direction = 'sendonly';
			}
			await pc.setLocalDescription(await pc.createOffer());
			await pc.setRemoteDescription({ type: 'answer', sdp });
			return pc.signalingState;
		} catch (e) {
			return 'refused: ' + e.message;
		} finally {
			pc.close();
		}
	}, [sdp, kind, shape]);
}

for (const c of webrtcCases()) {
	test(`Chromium accepts ${c.name}.out.sdp`, async () => {
		const out = readFileSync(join(dir, `${c.name}.out.sdp`), 'utf8');
		const offer = readFileSync(join(dir, `${c.name}.in.sdp`), 'utf8');
		const shape = {
			video: /^m=video /m.test(offer),
			hold: /^a=sendonly/m.test(offer),
		};
		const state = await apply(out, c.answer ? 'answer' : 'offer', shape);
		assert.equal(state, 'stable');
	});
}

test('the browser-side golden cases are all found', () => {
	// Offers to a browser (pjsip, SDES, hold, resume) and answers to it.
	assert.ok(webrtcCases().length >= 8);
});
