/**
 * The contract between the tslens kernel and library code running in it.
 *
 * The kernel publishes one object implementing `KernelHost` on
 * `globalThis[HOST_KEY]`. Library code (src/widget-core, or any other copy of
 * the library a notebook loads) talks to the kernel only through it, so two
 * copies of the library still share one comm registry and one output routing.
 * Part of the neutral common layer: kernel, library and browser bundle import
 * it; it holds types and two symbols only and imports nothing.
 */

/** The global key under which the kernel host lives. */
export const HOST_KEY = Symbol.for("tslens/kernel-host@1");

/** The key of the method a value implements to be displayed richly. */
export const MIME_BUNDLE_KEY = Symbol.for("tslens/mime-bundle");

/** MIME type → data, as in display_data. */
export type MimeData = Record<string, unknown>;

/** What an object returns from its `[MIME_BUNDLE_KEY]()` method. */
export interface MimeBundle {
  data: MimeData;
  metadata?: Record<string, unknown>;
}

/** Bytes user code may send as comm buffers. */
export type BinaryData = ArrayBuffer | ArrayBufferView;

/** One received comm message, as given to handlers. */
export interface CommMessage {
  /** `content.data` of the message. */
  data: Record<string, unknown>;
  /** Binary buffers, each an owned, tightly packed DataView. */
  buffers: DataView[];
  /** msg_id of the message (echo_update and request_state replies are parented to it). */
  msgId: string;
}

/** A live comm between the kernel and a frontend. */
export interface Comm {
  readonly commId: string;
  readonly targetName: string;
  /** True once either side closed it. */
  readonly closed: boolean;
  /** Sends a comm_msg on IOPub, parented to the request being served now. */
  send(data: Record<string, unknown>, buffers?: BinaryData[], metadata?: Record<string, unknown>): void;
  /** Closes the comm (sends comm_close unless the frontend closed it). */
  close(data?: Record<string, unknown>): void;
  /** Handles messages from the frontend; an awaited handler keeps the request busy. */
  onMsg(handler: (msg: CommMessage) => void | Promise<void>): void;
  /** Called once when the comm closes, from either side. */
  onClose(handler: (msg: CommMessage | undefined) => void): void;
}

/** Called when a frontend opens a comm for a registered target. Throwing closes the comm. */
export type CommTargetHandler = (comm: Comm, open: CommMessage) => void | Promise<void>;

/** A cell (execute_request) as seen by library code. */
export interface CellRef {
  /** msg_id of the execute_request. */
  readonly msgId: string;
  /** True until the cell's execute_reply is about to be sent. */
  readonly running: boolean;
  /**
   * True once the user interrupted the cell (interrupt_request or SIGINT). The cell ends at once; long work it
   * started (a patching sweep) stops at its next check. Absent on hosts that do not report it.
   */
  readonly interrupted?: boolean;
}

/** Full widget state for the `jupyter.widget.control` comm (page-reload restore). */
export interface WidgetStateSnapshot {
  modelName: string;
  modelModule: string;
  modelModuleVersion: string;
  /** State with binary values removed (see `bufferPaths`). */
  state: Record<string, unknown>;
  bufferPaths: (string | number)[][];
  buffers: BinaryData[];
}

/** Something that can report its full widget state on demand. */
export interface WidgetStateSource {
  snapshot(): WidgetStateSnapshot;
}

/** The kernel services library code may use. */
export interface KernelHost {
  readonly version: 1;
  /** Opens a kernel-side comm (comm_open on IOPub, parented to the current request). */
  openComm(
    targetName: string,
    data: Record<string, unknown>,
    options?: { metadata?: Record<string, unknown>; buffers?: BinaryData[]; commId?: string },
  ): Comm;
  /** Serves comm_open requests from the frontend for `targetName`. */
  registerTarget(targetName: string, handler: CommTargetHandler): void;
  /** Publishes display_data parented to the current request. */
  display(bundle: MimeBundle): void;
  /** msg_id of the request being served in this async context, if any. */
  currentRequestId(): string | undefined;
  /** The cell being executed in this async context (undefined inside comm handlers). */
  currentCell(): CellRef | undefined;
  /** Runs `fn` just before `cell`'s execute_reply (after its last-expression result). False if the cell has ended. */
  atCellEnd(cell: CellRef, fn: () => void | Promise<void>): boolean;
  /** Registers a widget for `jupyter.widget.control` restore; the returned function unregisters it. */
  registerWidget(modelId: string, source: WidgetStateSource): () => void;
}
