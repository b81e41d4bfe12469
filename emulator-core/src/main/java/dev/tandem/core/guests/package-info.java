/**
 * Built-in guest programs (firmware-style 64 KiB ROM images) assembled from sources in the
 * resources of this package; see {@link dev.tandem.core.guests.BuiltinGuests}.
 */
package dev.tandem.core.guests;
