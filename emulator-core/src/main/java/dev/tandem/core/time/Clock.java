package dev.tandem.core.time;

/**
 * Guest time in nanoseconds since machine power-on. In virtual-time mode it is a pure function
 * of the instruction count (plus deterministic idle skips); devices must take time only from here.
 */
public interface Clock {
    long nowNs();
}
