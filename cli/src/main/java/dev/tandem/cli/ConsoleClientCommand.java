package dev.tandem.cli;

import dev.tandem.replication.Transcript;
import dev.tandem.replication.console.ConsoleClient;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code console}: the resumable console client that follows the live leader. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"Connects to a replicated guest's console and follows the live leader across failover: every output "
                + "byte arrives once and in order, typed input is applied exactly once. Give the console addresses of all "
                + "replicas (a follower answers 'not the leader', the client tries the next one).",
                "stdin is sent as typed input, stdout receives the guest's output."})
final class ConsoleClientCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "HOST:PORT[,HOST:PORT...]", description = "console addresses of the replicas")
    String addresses;

    @Option(names = "--transcript", paramLabel = "FILE",
            description = "JSON lines: every output chunk with its offset, the epoch that released it and the server")
    Path transcript;

    @Option(names = "--exit-on-eof", description = "exit when stdin ends and all typed input was acknowledged")
    boolean exitOnEof;

    @Override
    public Integer call() throws Exception {
        List<String> addrs = Arrays.stream(addresses.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String a : addrs) ReplicaCliOptions.hostPort(a, "console address");
        OutputStream tx = transcript == null ? null : new FileOutputStream(transcript.toFile(), true);
        ConsoleClient client = new ConsoleClient(addrs, System.out, new ConsoleClient.Listener() {
            @Override
            public void output(long epoch, long offset, byte[] data, int off, int len, String server) {
                if (tx == null) return;
                String line = Transcript.json(java.util.Map.of("t", System.currentTimeMillis(), "ev", "output", "epoch", epoch,
                        "offset", offset, "len", len, "server", server,
                        "data", Base64.getEncoder().encodeToString(Arrays.copyOfRange(data, off, off + len)))) + "\n";
                write(tx, line);
            }

            @Override
            public void event(String what) {
                if (tx != null) {
                    write(tx, Transcript.json(java.util.Map.of("t", System.currentTimeMillis(), "ev", "client", "what", what)) + "\n");
                }
            }
        });
        Thread net = new Thread(client::run, "console-client");
        net.setDaemon(true);
        net.start();
        InputStream in = System.in;
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) > 0; ) client.type(buf, 0, n);
        if (exitOnEof) {
            while (client.unackedInput() > 0) Thread.sleep(20);
            client.close();
            return Main.EXIT_OK;
        }
        net.join();
        return Main.EXIT_OK;
    }

    private static synchronized void write(OutputStream o, String line) {
        try {
            o.write(line.getBytes(StandardCharsets.UTF_8));
            o.flush();
        } catch (IOException e) {
            // transcript is best effort
        }
    }
}
