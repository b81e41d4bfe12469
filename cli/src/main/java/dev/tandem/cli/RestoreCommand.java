package dev.tandem.cli;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.replay.Recorder;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.core.snapshot.StateHasher;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code restore}: continues a machine from a snapshot. */
@Command(name = "restore", mixinStandardHelpOptions = true, description = "Restores a snapshot and continues running it.")
final class RestoreCommand implements Callable<Integer> {
    @Option(names = "--file", required = true, description = "snapshot file")
    Path file;

    @Option(names = "--serial", defaultValue = "stdio", description = "COM1: stdio, none, file:PATH or tcp:PORT")
    String serial;

    @Option(names = "--max-instructions", description = "stop at this instruction count")
    Long maxInstructions;

    @picocli.CommandLine.Mixin
    ConsoleOptions consoleOptions;

    @Override
    public Integer call() throws Exception {
        Machine m = Snapshot.read(file);
        try (SerialConsole console = SerialConsole.open(serial, consoleOptions)) {
            m.setHostInputs(new Recorder(console.hostWorld(), null, 0));
            m.setDebugConsole(b -> System.out.write(b));
            m.setSerial(0, console);
            console.attach(m);
            m.setSliceHook(console::atSliceBoundary);
            Runtime.getRuntime().addShutdownHook(new Thread(m::requestStop));
            long limit = maxInstructions == null ? Long.MAX_VALUE : maxInstructions;
            Machine.Exit exit;
            for (;;) {
                exit = m.run(limit);
                if (exit != Machine.Exit.IDLE_FOREVER || console.inputClosed() || console.quitRequested()) break;
                console.awaitInput(100);
            }
            System.out.flush();
            console.flush();
            console.endLine();
            System.err.printf("[tandem] %s at %,d instructions, %s%n", exit, m.cpu().icount(), StateHasher.digest(m));
            return exit == Machine.Exit.TRIPLE_FAULT ? Main.EXIT_FAILURE : Main.EXIT_OK;
        }
    }
}
