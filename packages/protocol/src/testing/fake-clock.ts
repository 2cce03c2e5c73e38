/** A clock for tests: time only moves when told to (the core takes time as an input). */
export class FakeClock {
  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
}
