package dev.tandem.core.boot;

import dev.tandem.core.cpu.Cpu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * Bridge to the parts of the {@link Cpu} API that the loader needs but that are still being added
 * (setGdtr, setIdtr, the cr0 field). It looks them up once by name so this package compiles
 * against both the placeholder Cpu and the real one.
 *
 * <p>TEMPORARY: once Cpu has {@code setGdtr(int,int)}, {@code setIdtr(int,int)} and
 * {@code public int cr0}, replace the three calls in {@link LinuxLoader#enterKernel} with direct
 * calls and delete this class.
 */
final class CpuBootAccess {
    private static final MethodHandle SET_GDTR = find("setGdtr");
    private static final MethodHandle SET_IDTR = find("setIdtr");
    private static final VarHandle CR0 = findCr0();

    private CpuBootAccess() {
    }

    private static MethodHandle find(String name) {
        try {
            return MethodHandles.publicLookup().findVirtual(Cpu.class, name,
                    MethodType.methodType(void.class, int.class, int.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }

    private static VarHandle findCr0() {
        try {
            return MethodHandles.publicLookup().findVarHandle(Cpu.class, "cr0", int.class);
        } catch (NoSuchFieldException | IllegalAccessException e) {
            return null;
        }
    }

    static void setGdtr(Cpu cpu, int base, int limit) {
        invoke(SET_GDTR, "setGdtr", cpu, base, limit);
    }

    static void setIdtr(Cpu cpu, int base, int limit) {
        invoke(SET_IDTR, "setIdtr", cpu, base, limit);
    }

    /** CR0.PE = 1, CR0.PG = 0. A Cpu without a cr0 field has no paging to turn off. */
    static void clearPaging(Cpu cpu) {
        if (CR0 == null) return;
        int cr0 = (int) CR0.get(cpu);
        CR0.set(cpu, (cr0 | 1) & 0x7FFFFFFF);
    }

    private static void invoke(MethodHandle mh, String name, Cpu cpu, int base, int limit) {
        if (mh == null) {
            throw new UnsupportedOperationException("Cpu." + name + "(int base, int limit) does not exist yet");
        }
        try {
            mh.invoke(cpu, base, limit);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("Cpu." + name + " failed", t);
        }
    }
}
