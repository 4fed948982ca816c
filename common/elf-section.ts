// One section of an ELF file (64-bit, either byte order), read at its offset without
// reading the rest: the .BTF of a vmlinux of hundreds of MB.
import { closeSync, openSync, readSync } from 'node:fs';

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, b, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return b.subarray(0, done);
}

/** The bytes of section NAME, or undefined when the file is not a 64-bit ELF or has no such section. */
export function elfSection(file: string, name: string): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    const h = readAt(fd, 0, 64);
    if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return undefined;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const [shoff, shentsize, shnum, shstrndx] = [u64(h, 0x28), u16(h, 0x3a), u16(h, 0x3c), u16(h, 0x3e)];
    const headers = readAt(fd, shoff, shentsize * shnum);
    const section = (i: number) => ({ name: u32(headers, i * shentsize), offset: u64(headers, i * shentsize + 0x18), size: u64(headers, i * shentsize + 0x20) });
    const strtab = section(shstrndx);
    const names = readAt(fd, strtab.offset, strtab.size);
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      const end = names.indexOf(0, s.name);
      if (names.toString('latin1', s.name, end < 0 ? undefined : end) === name) return readAt(fd, s.offset, s.size);
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
