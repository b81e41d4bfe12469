package dev.tandem.core.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.snapshot.StateHasher;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A recording stopped from another thread while the boundary that took an input was running
 * (the stop is seen right after the input, before that boundary's timers): the replay must stop
 * at the same place, not run on and report the END record as never reached.
 */
class StopAfterInputTest {
    @Test
    void stopRequestedDuringTheInputBoundaryReplaysToTheSameEnd() throws Exception {
        Map<String, String> spec = Map.of("guest", "hello");
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        LogWriter w = new LogWriter(logBytes);
        Machine[] machine = new Machine[1];
        boolean[] sent = {false};
        Recorder rec = new Recorder(HostWorld.system(() -> {
            Machine m = machine[0];
            if (m != null && !sent[0] && m.cpu().icount >= 30_000) {
                sent[0] = true;
                m.requestStop(); // as a typist thread's stop would land just after its last key
                return 'x';
            }
            return -1;
        }), w, 10_000);
        Machine m = new Machine(MachineConfig.defaults(32 << 20), rec);
        machine[0] = m;
        StringBuilder out = new StringBuilder();
        Harness.wireOutput(m, out);
        GuestSpec.load(m, spec);
        w.writeHeader(rec.header(m, spec));
        Machine.Exit exit = m.run(Long.MAX_VALUE);
        assertEquals(Machine.Exit.STOPPED, exit);
        assertEquals(1, rec.inputEvents());
        rec.finish(m, exit);
        w.close();
        long icount = m.cpu().icount;
        assertEquals(30_000, icount);

        Harness.Run rep = Harness.replay(logBytes.toByteArray(), Long.MAX_VALUE);
        assertNull(rep.divergence(), rep.divergence());
        assertEquals(Machine.Exit.STOPPED, rep.exit());
        assertEquals(icount, rep.icount());
        assertEquals(1, rep.inputs());
        assertEquals(StateHasher.digest(m).total(), rep.digest().total());
        assertTrue(rep.checkpoints() >= 4, "checkpoints " + rep.checkpoints());
        assertEquals(out.toString(), rep.output());
    }
}
