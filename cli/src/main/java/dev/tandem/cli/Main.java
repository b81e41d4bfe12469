package dev.tandem.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code tandem <command> [options]}. Exit codes: 0 ok, 1 guest/runtime failure, 2 usage. */
@Command(name = "tandem", mixinStandardHelpOptions = true, version = "tandem 0.1.0",
        description = "A pure-Java x86 PC emulator with replication and live migration.",
        subcommands = {RunCommand.class, ConformanceCommand.class, BenchCommand.class, RecordCommand.class, ReplayCommand.class, SnapshotCommand.class, RestoreCommand.class,
                LeaderCommand.class, FollowerCommand.class, ConsoleClientCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "-v", scope = CommandLine.ScopeType.INHERIT,
            description = "detailed log lines: time, thread, logger and debug messages")
    // applied by Logging.configure, which scans the arguments before any logger exists
    boolean verbose;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code (for tests). */
    public static int execute(String... args) {
        Logging.configure(args);
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(t -> EXIT_FAILURE);
        cl.setParameterExceptionHandler((ex, a) -> {
            cl.getErr().println(ex.getMessage());
            ex.getCommandLine().usage(cl.getErr());
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof java.nio.file.NoSuchFileException nsf) {
                commandLine.getErr().println("error: file not found: " + nsf.getFile());
                return EXIT_USAGE;
            }
            if (ex instanceof java.nio.file.AccessDeniedException ade) {
                commandLine.getErr().println("error: permission denied: " + ade.getFile());
                return EXIT_FAILURE;
            }
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.IOException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return ex instanceof IllegalArgumentException ? EXIT_USAGE : EXIT_FAILURE;
            }
            commandLine.getErr().println("error: " + ex);
            ex.printStackTrace(commandLine.getErr());
            return EXIT_FAILURE;
        });
        return cl.execute(args);
    }
}
