/**
 * The pause of a background loop that something can cut short: new work to do, or the process stopping.
 * One pause at a time; waking with none under way does nothing.
 */
export class WakeablePause {
  private wake?: () => void;

  /** Resolves after `ms`, or at once when {@link wakeUp} is called meanwhile. */
  for(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  wakeUp(): void {
    this.wake?.();
  }
}
