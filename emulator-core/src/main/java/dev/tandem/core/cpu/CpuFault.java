package dev.tandem.core.cpu;

/**
 * An architectural exception raised while executing an instruction (#DE, #GP, #PF ...). The CPU
 * keeps one preallocated instance, so raising a fault allocates nothing and records no stack trace.
 */
public final class CpuFault extends RuntimeException {
    public int vector;
    public int errorCode;
    public boolean hasErrorCode;

    CpuFault() {
        super(null, null, false, false);
    }

    CpuFault set(int vector, int errorCode, boolean hasErrorCode) {
        this.vector = vector;
        this.errorCode = errorCode;
        this.hasErrorCode = hasErrorCode;
        return this;
    }

    @Override
    public String getMessage() {
        return "exception " + vector + (hasErrorCode ? " error code 0x" + Integer.toHexString(errorCode) : "");
    }
}
