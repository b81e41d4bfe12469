package dev.tandem.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where and when a benchmark ran (printed in the report header and stored in the JSON). */
public record HostInfo(String date, String cpu, int cpus, String os, String java, String loadAverage) {
    public static HostInfo current() {
        String cpu = "unknown";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave unknown
        }
        String load = "unknown";
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            if (f.length >= 3) load = f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return new HostInfo(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                cpu, Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"), load);
    }

    public String describe() {
        return "host: " + cpu + ", " + cpus + " cpus, load average " + loadAverage + " (before the runs), " + os + "; "
                + java + "; " + date;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", date);
        m.put("cpu", cpu);
        m.put("cpus", cpus);
        m.put("os", os);
        m.put("java", java);
        m.put("loadAverageBefore", loadAverage);
        return m;
    }
}
