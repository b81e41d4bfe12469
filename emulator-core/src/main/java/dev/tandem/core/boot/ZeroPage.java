package dev.tandem.core.boot;

/**
 * Offsets inside the zero page (struct boot_params) of the Linux x86 boot protocol, and inside
 * the setup header that is copied into it at {@link #HDR}.
 */
public final class ZeroPage {
    private ZeroPage() {
    }

    public static final int SIZE = 4096;

    // struct screen_info, at the start of the zero page
    public static final int ORIG_X = 0x00;
    public static final int ORIG_Y = 0x01;
    public static final int EXT_MEM_K = 0x02;
    public static final int ORIG_VIDEO_PAGE = 0x04;
    public static final int ORIG_VIDEO_MODE = 0x06;
    public static final int ORIG_VIDEO_COLS = 0x07;
    public static final int ORIG_VIDEO_EGA_BX = 0x0A;
    public static final int ORIG_VIDEO_LINES = 0x0E;
    public static final int ORIG_VIDEO_IS_VGA = 0x0F;
    public static final int ORIG_VIDEO_POINTS = 0x10;

    // boot_params
    public static final int EXT_RAMDISK_IMAGE = 0x0C0;
    public static final int EXT_RAMDISK_SIZE = 0x0C4;
    public static final int EXT_CMD_LINE_PTR = 0x0C8;
    public static final int ALT_MEM_K = 0x1E0;
    public static final int E820_ENTRIES = 0x1E8;
    public static final int SENTINEL = 0x1EF;
    public static final int HDR = 0x1F1;
    /** End of the room for the setup header (edd_mbr_sig_buffer starts here). */
    public static final int HDR_ROOM_END = 0x290;
    public static final int E820_TABLE = 0x2D0;

    // setup header fields (offsets relative to the zero page, same as in the image)
    public static final int SETUP_SECTS = 0x1F1;
    public static final int VID_MODE = 0x1FA;
    public static final int BOOT_FLAG = 0x1FE;
    public static final int HEADER = 0x202;
    public static final int VERSION = 0x206;
    public static final int TYPE_OF_LOADER = 0x210;
    public static final int LOADFLAGS = 0x211;
    public static final int CODE32_START = 0x214;
    public static final int RAMDISK_IMAGE = 0x218;
    public static final int RAMDISK_SIZE = 0x21C;
    public static final int HEAP_END_PTR = 0x224;
    public static final int EXT_LOADER_VER = 0x226;
    public static final int EXT_LOADER_TYPE = 0x227;
    public static final int CMD_LINE_PTR = 0x228;
    public static final int INITRD_ADDR_MAX = 0x22C;
    public static final int KERNEL_ALIGNMENT = 0x230;
    public static final int RELOCATABLE_KERNEL = 0x234;
    public static final int XLOADFLAGS = 0x236;
    public static final int CMDLINE_SIZE = 0x238;
    public static final int PREF_ADDRESS = 0x258;
    public static final int INIT_SIZE = 0x260;
}
