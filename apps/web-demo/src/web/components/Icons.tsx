/** Small inline icons (no icon font, no emoji font needed). Decorative: hidden from assistive tech. */

const common = { width: 16, height: 16, viewBox: "0 0 16 16", focusable: false } as const;

export function FolderIcon() {
  return (
    <svg {...common} className="icon folder" aria-hidden="true">
      <path d="M1.5 3.5h4.2l1.5 1.6h7.3v7.9h-13z" fill="#f3c14b" stroke="#c9962a" />
    </svg>
  );
}

export function FileIcon() {
  return (
    <svg {...common} className="icon file" aria-hidden="true">
      <path d="M3.5 1.5h6l3 3v10h-9z" fill="#fff" stroke="#8a94a6" />
      <path d="M9.5 1.5v3h3" fill="none" stroke="#8a94a6" />
    </svg>
  );
}

export function LinkIcon() {
  return (
    <svg {...common} className="icon link" aria-hidden="true">
      <path
        d="M6.5 9.5l3-3M5 7.5l-1.5 1.5a2.1 2.1 0 003 3L8 10.5M11 8.5l1.5-1.5a2.1 2.1 0 00-3-3L8 5.5"
        fill="none"
        stroke="#5d6678"
        strokeWidth="1.3"
      />
    </svg>
  );
}
