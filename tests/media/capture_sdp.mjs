// tests/media/capture_sdp.mjs - real Chromium SDP for the golden files in
// tests/media/sdp/ (a tool, not a test; needs /usr/bin/chromium).
//   node tests/media/capture_sdp.mjs              offer: audio, max-bundle,
//                                                 ICE gathered
//   node tests/media/capture_sdp.mjs OFFER.sdp    Chromium's answer to OFFER
//   node tests/media/capture_sdp.mjs --answer ANSWER.sdp
//        makes a fresh offer and applies ANSWER to it (Chromium keeps its
//        payload types and mid "0" from one offer to the next): checks that
//        Chromium accepts an answer Ovoz wrote.
// OVOZ_VIDEO=1 adds a video transceiver and a data channel to the offer.
// Addresses are printed as gathered: replace any that is not loopback or
// documentation (192.0.2.x, 2001:db8::) before committing.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const args = ['--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream',
	'--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
	'--disable-background-networking', '--disable-component-update',
	'--disable-sync', '--no-first-run'];
const check = process.argv[2] === '--answer';
const file = check ? process.argv[3] : process.argv[2];
const remote = file ? readFileSync(file, 'utf8') : null;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
	headless: true, args });
try {
	const page = await browser.newPage();
	// getUserMedia needs a secure context; localhost is one. The route
	// answers in-process, so nothing listens and nothing is sent.
	await page.route('http://localhost/', (r) => r.fulfill({
		contentType: 'text/html', body: '<html></html>' }));
	await page.goto('http://localhost/');
	const opts = { video: !!process.env.OVOZ_VIDEO };
	const out = await page.evaluate(async ([remoteSdp, check, opts]) => {
		const gathered = (pc) => new Promise((resolve) => {
			if (pc.iceGatheringState === 'complete')
				return resolve();
			pc.onicegatheringstatechange = () => {
				if (pc.iceGatheringState === 'complete')
					resolve();
			};
		});
		const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
		stream.getTracks().forEach((t) => pc.addTrack(t, stream));
		if (opts.video) {
			pc.addTransceiver('video', { direction: 'recvonly' });
			pc.createDataChannel('chat');
		}
		if (check) {
			await pc.setLocalDescription(await pc.createOffer());
			await pc.setRemoteDescription({ type: 'answer', sdp: remoteSdp });
			return 'answer accepted: ' + pc.signalingState + '\n';
		}
		if (remoteSdp) {
			await pc.setRemoteDescription({ type: 'offer', sdp: remoteSdp });
			await pc.setLocalDescription(await pc.createAnswer());
		} else {
			await pc.setLocalDescription(await pc.createOffer());
		}
		await gathered(pc);
		return navigator.userAgent + '\n' + pc.localDescription.sdp;
	}, [remote, check, opts]);
	process.stdout.write(out);
} finally {
	await browser.close();
}
