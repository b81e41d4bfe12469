package dev.tandem.core.boot;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.testkit.LinuxGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * Boots the Debian guest built by guests/build-linux-guest.sh ({@link LinuxGuest}) and drives its serial console:
 * waits for text, types commands (bytes enter the UART when its FIFO has room, at slice
 * boundaries), and collects the output.
 */
final class LinuxGuestHarness {
    final Machine machine;
    private final StringBuilder out = new StringBuilder();
    private final ArrayDeque<Integer> typeAhead = new ArrayDeque<>();
    private int mark;

    LinuxGuestHarness(int ramMiB, String cmdline) throws IOException {
        this(ramMiB, cmdline, false);
    }

    LinuxGuestHarness(int ramMiB, String cmdline, boolean hostDecompress) throws IOException {
        Path d = LinuxGuest.require();
        machine = new Machine(MachineConfig.defaults(ramMiB << 20).withPorts(-1, -1), 1_795_000_000_000L);
        machine.setSerial(0, b -> out.append((char) (b & 0xFF)));
        machine.setSliceHook(m -> {
            while (!typeAhead.isEmpty() && m.com1().canReceive()) m.com1().receive(typeAhead.poll());
        });
        byte[] kernel = Files.readAllBytes(d.resolve("vmlinuz"));
        byte[] initrd = Files.readAllBytes(d.resolve("initrd.cpio.gz"));
        E820 map = E820.standardPc((long) ramMiB << 20);
        if (hostDecompress) {
            LinuxLoader.loadHostDecompressed(machine.memory(), machine.cpu(), kernel, initrd, cmdline, map);
        } else {
            LinuxLoader.load(machine.memory(), machine.cpu(), kernel, initrd, cmdline, map);
        }
    }

    String output() {
        return out.toString();
    }

    /** Runs until {@code text} appears after the current mark; returns the output up to and including it. */
    String waitFor(String text, long maxInstructions) {
        long end = machine.cpu().icount() + maxInstructions;
        while (true) {
            int i = out.indexOf(text, mark);
            if (i >= 0) {
                String s = out.substring(mark, i + text.length());
                mark = i + text.length();
                return s;
            }
            if (machine.cpu().icount() >= end) {
                throw new AssertionError("'" + text + "' did not appear within " + maxInstructions
                        + " instructions; console tail:\n" + tail(2000));
            }
            Machine.Exit e = machine.run(Math.min(end, machine.cpu().icount() + 20_000_000));
            if (e == Machine.Exit.TRIPLE_FAULT || e == Machine.Exit.HALTED || e == Machine.Exit.RESET) {
                throw new AssertionError("guest stopped (" + e + ") while waiting for '" + text + "'; console tail:\n"
                        + tail(2000));
            }
            if (e == Machine.Exit.IDLE_FOREVER && typeAhead.isEmpty() && out.indexOf(text, mark) < 0) {
                throw new AssertionError("guest idle while waiting for '" + text + "'; console tail:\n" + tail(2000));
            }
        }
    }

    /** Lets the guest run for {@code n} more instructions (or until it idles with nothing to wake it). */
    void settle(long n) {
        machine.run(machine.cpu().icount() + n);
    }

    void type(String s) {
        for (byte b : s.getBytes(StandardCharsets.US_ASCII)) typeAhead.add(b & 0xFF);
    }

    /** Types a command wrapped in unique markers and returns what it printed between them. */
    String command(String cmd, long maxInstructions) {
        String tag = Long.toString(machine.cpu().icount(), 36);
        type("echo @@B" + tag + "; " + cmd + "; echo @@E" + tag + "\n");
        waitFor("@@B" + tag + "\r\n", maxInstructions);
        String s = waitFor("@@E" + tag, maxInstructions);
        return s.substring(0, s.length() - ("@@E" + tag).length()).replace("\r\n", "\n");
    }

    String tail(int n) {
        return out.substring(Math.max(0, out.length() - n)).replace("\r", "") + "\n[console: " + out.length()
                + " bytes; " + typeAhead.size() + " bytes not yet typed; icount " + machine.cpu().icount()
                + String.format("; PIC irr %04x isr %04x imr %04x; eflags %08x eip %08x; timers %s]",
                machine.pic().irr(), machine.pic().isr(), machine.pic().imr(), machine.cpu().getEflags(),
                machine.cpu().eip, machine.scheduler().timers().stream()
                        .map(t -> t.name() + "=" + (t.armed() ? t.deadline() : "-")).toList());
    }
}
