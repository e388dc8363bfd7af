// flash.js — the torch of the customer's camera (MediaStreamTrack constraint
// "torch"): the customer's page switches it where getCapabilities() offers
// it and answers the technician who asked either way, so a device without a
// torch is reported rather than ignored.

async function torch(track, on) {
  const caps = track?.getCapabilities?.() || {};
  if (!caps.torch) return 'unsupported';
  try {
    await track.applyConstraints({ advanced: [{ torch: on }] });
    return '';
  } catch { return 'failed'; }
}

/** flasher answers flash commands on the customer's page and reads the answers on a technician's. */
export function flasher({ link, camera }) {
  async function answer(m) {
    const track = camera?.();
    const reason = track ? await torch(track, m.state === 'on') : 'no_camera';
    link.send({ tool: 'flash', id: `flash-${Date.now().toString(36)}`, op: 'result', state: m.state, ok: !reason, ...(reason ? { reason } : {}), to: m.from });
  }
  return {
    receive(m) {
      if (m.op === 'set' && camera) { answer(m); return 'set'; }
      if (m.op === 'result') return m.ok ? `ok.${m.state}` : `not.${m.reason || 'failed'}`;
      return '';
    },
    set: (on) => link.send({ tool: 'flash', id: `flash-${Date.now().toString(36)}`, op: 'set', state: on ? 'on' : 'off' }),
  };
}
