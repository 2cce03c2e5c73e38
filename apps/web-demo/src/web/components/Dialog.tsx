import { type ReactNode, useEffect, useId, useRef } from "react";

export interface DialogProps {
  readonly title: string;
  readonly children: ReactNode;
  /** The dialog's buttons; the form's submit is the primary action. */
  readonly actions: ReactNode;
  readonly onSubmit: () => void;
  readonly onCancel: () => void;
  /** alertdialog for confirmations. */
  readonly role?: "dialog" | "alertdialog";
}

/** A small modal form: focus moves in on open and back on close; Escape cancels. */
export function Dialog({ title, children, actions, onSubmit, onCancel, role = "dialog" }: DialogProps) {
  const titleId = useId();
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    // The first field, or for a confirmation its first button (Cancel: the safe choice).
    ref.current?.querySelector<HTMLElement>("input, button")?.focus();
    return () => previous?.focus?.();
  }, []);
  const form = (
    <form
      ref={ref}
      className="dialog"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
      <div className="dialog-actions">{actions}</div>
    </form>
  );
  return (
    <div className="backdrop">
      {role === "alertdialog" ? (
        <div role="alertdialog" aria-modal="true" aria-labelledby={titleId}>
          {form}
        </div>
      ) : (
        <div role="dialog" aria-modal="true" aria-labelledby={titleId}>
          {form}
        </div>
      )}
    </div>
  );
}
