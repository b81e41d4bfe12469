package dev.tandem.cli.bench;

import java.util.Arrays;
import java.util.Locale;

/** Median, minimum and maximum of a set of samples (at least one). */
public record Stats(double median, double min, double max, int n) {
    public static Stats of(double[] samples) {
        if (samples.length == 0) throw new IllegalArgumentException("no samples");
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        double med = (n % 2 == 1) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        return new Stats(med, s[0], s[n - 1], n);
    }

    /** {@code median [min..max]} with the given number of decimals. */
    public String format(int decimals) {
        String f = "%." + decimals + "f";
        return String.format(Locale.ROOT, f + " [" + f + ".." + f + "]", median, min, max);
    }
}
