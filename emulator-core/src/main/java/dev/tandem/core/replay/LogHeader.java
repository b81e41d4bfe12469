package dev.tandem.core.replay;

import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import java.util.Map;

/**
 * What a replay needs to rebuild the recorded machine before the first record: its
 * configuration, timing mode, the RTC's power-on time, the checkpoint interval and a free-form
 * description of the guest (options as the CLI took them, e.g. {@code guest=hello} or
 * {@code kernel=/path}, {@code append=...}). The initial state itself is verified by the first
 * HASH record.
 */
public record LogHeader(MachineConfig config, TimingMode timing, long rtcEpochMillis, long checkpointInterval,
        Map<String, String> guest) {
    public LogHeader {
        guest = Map.copyOf(guest);
        if (checkpointInterval < 0) throw new IllegalArgumentException("checkpoint interval must be >= 0");
    }
}
