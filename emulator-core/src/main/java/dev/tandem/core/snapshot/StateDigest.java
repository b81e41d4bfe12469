package dev.tandem.core.snapshot;

import dev.tandem.core.cpu.CpuState;
import dev.tandem.core.machine.Machine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A hash of all guest-visible machine state with a per-component breakdown: the CPU (its full
 * serialized state is kept, so differences can be named register by register), each device,
 * time (idle ticks and every timer deadline), and RAM as one hash per 4 KiB page.
 *
 * @param cpuState  {@link CpuState} bytes (CPU and x87)
 * @param cpu       hash of {@code cpuState}
 * @param devices   hash of each device's saved state, in {@link Machine#DEVICE_NAMES} order
 * @param time      hash of idle ticks and the timer deadlines
 * @param pages     hash of each RAM page
 * @param ram       hash of {@code pages}
 * @param total     hash of all component hashes
 */
public record StateDigest(byte[] cpuState, long cpu, long[] devices, long time, long[] pages, long ram, long total) {

    /** Names of the components that differ from {@code expected}, with details (registers, pages). */
    public List<String> differences(StateDigest expected) {
        List<String> out = new ArrayList<>();
        if (cpu != expected.cpu) {
            try {
                Map<String, String> d = CpuState.diff(expected.cpuState, cpuState);
                out.add("cpu: " + (d.isEmpty() ? "state bytes differ" : d.toString()));
            } catch (IOException e) {
                out.add("cpu: state differs (" + e.getMessage() + ")");
            }
        }
        for (int i = 0; i < devices.length && i < expected.devices.length; i++) {
            if (devices[i] != expected.devices[i]) out.add("device " + Machine.DEVICE_NAMES.get(i) + " differs");
        }
        if (time != expected.time) out.add("time (idle ticks or timer deadlines) differs");
        if (ram != expected.ram) out.add("ram: " + describePages(diffPages(expected.pages, pages, -1)));
        return out;
    }

    /** Indices of pages whose hashes differ ({@code mask}: bits of the hash compared). */
    static List<Integer> diffPages(long[] expected, long[] actual, long mask) {
        List<Integer> d = new ArrayList<>();
        int n = Math.min(expected.length, actual.length);
        for (int p = 0; p < n; p++) if (((expected[p] ^ actual[p]) & mask) != 0) d.add(p);
        return d;
    }

    static String describePages(List<Integer> pages) {
        if (pages.isEmpty()) return "page hash list differs, no single page identified";
        StringBuilder sb = new StringBuilder().append(pages.size()).append(" page(s) differ:");
        for (int i = 0; i < Math.min(pages.size(), 16); i++) sb.append(String.format(" 0x%08x", (long) pages.get(i) << 12));
        if (pages.size() > 16) sb.append(" ...");
        return sb.toString();
    }

    @Override
    public String toString() {
        return String.format("state hash %016x (cpu %016x, time %016x, ram %016x)", total, cpu, time, ram);
    }
}
