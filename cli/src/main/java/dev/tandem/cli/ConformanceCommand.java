package dev.tandem.cli;

import dev.tandem.core.conformance.SstRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code conformance sst [--dir DIR]}: runs real-hardware single-instruction vectors. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = "Runs external conformance suites against the CPU.",
        subcommands = {ConformanceCommand.Sst.class})
final class ConformanceCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing suite (try: conformance sst)");
    }

    @Command(name = "sst", mixinStandardHelpOptions = true,
            description = "SingleStepTests format (80286 real-mode vectors by default): pass rate per "
                    + "instruction form and in total.")
    static final class Sst implements Callable<Integer> {
        @Option(names = "--dir", description = "directory with <FORM>.jsonl.gz and metadata.json "
                + "(default: ../shared/testdata/sst-80286-real or $TANDEM_SHARED/testdata/sst-80286-real)")
        Path dir;

        @Option(names = "--form", description = "run only this form (e.g. F6.7, 0FA3)")
        String form;

        @Option(names = "--failures", defaultValue = "0", description = "show up to N failing tests per form")
        int failures;

        @Option(names = "--min-rate", defaultValue = "0",
                description = "exit 1 unless the normal-form pass rate (over tests not explained by a listed "
                        + "286/386 difference) is at least this percentage")
        double minRate;

        @Override
        public Integer call() throws Exception {
            Path d = dir != null ? dir : defaultDir();
            SstRunner r = new SstRunner(d, failures);
            SstRunner.Summary s = r.runAll(form, null);
            SstRunner.print(s, System.out, failures > 0);
            return s.normalPassRateP6() + 1e-9 >= minRate ? Main.EXIT_OK : Main.EXIT_FAILURE;
        }

        static Path defaultDir() {
            String env = System.getenv("TANDEM_SHARED");
            Path p = env != null ? Path.of(env, "testdata", "sst-80286-real") : Path.of("..", "shared", "testdata",
                    "sst-80286-real");
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException("test vector directory not found: " + p.toAbsolutePath()
                        + " (use --dir)");
            }
            return p;
        }
    }
}
