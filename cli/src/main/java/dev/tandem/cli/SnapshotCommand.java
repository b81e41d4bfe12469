package dev.tandem.cli;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.replay.GuestSpec;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.core.snapshot.StateHasher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code snapshot}: runs a guest to an instruction count and saves the whole machine. */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "Runs a guest (no input) to instruction --at and writes a snapshot; 'restore' continues it.")
final class SnapshotCommand implements Callable<Integer> {
    @Mixin
    GuestOptions guest;

    @Option(names = "--at", required = true, description = "instruction count to stop and snapshot at")
    long at;

    @Option(names = "--file", required = true, description = "snapshot file to write")
    Path file;

    @Override
    public Integer call() throws Exception {
        Machine m = new Machine(guest.config(), 0);
        m.setDebugConsole(b -> System.out.write(b));
        m.setSerial(0, b -> System.out.write(b));
        GuestSpec.load(m, guest.spec());
        Machine.Exit exit = m.run(at);
        System.out.flush();
        Snapshot.write(m, file);
        System.err.printf("[tandem] %s at %,d instructions; snapshot %s (%,d bytes), %s%n", exit, m.cpu().icount(),
                file, Files.size(file), StateHasher.digest(m));
        return Main.EXIT_OK;
    }
}
