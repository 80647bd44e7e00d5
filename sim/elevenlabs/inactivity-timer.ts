// Fires once when no client input arrived for `ms` (ElevenLabs' `inactivity_timeout`).
export class InactivityTimer {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly ms: number,
    private readonly onExpire: () => void,
  ) {}

  reset(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.stopped = true;
      this.onExpire();
    }, this.ms);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
