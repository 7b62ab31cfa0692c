/** What the global setup tells the specs about the exchange it started for them. */
export interface ConsoleExchange {
  /** The gateway, for example `http://127.0.0.1:41234`. */
  gatewayUrl: string;
  /** Credentials issued for the run, by person. */
  tokens: {
    /** `emlo-ne.officer-17`, officer of the liaison officer in Niamey. */
    emlo: string;
    /** `cp-it.officer-5`, officer of the Italian contact point. */
    cpIt: string;
    /** `edps.auditor-1`, an auditor. */
    auditor: string;
  };
}

/** The environment variable that carries the exchange from the global setup to the workers. */
export const EXCHANGE_ENV = 'MSX_CONSOLE_EXCHANGE';

/** The exchange the global setup started (in a worker: from the variable it set). */
export function consoleExchange(): ConsoleExchange {
  // Test plumbing, not a service's configuration: the one way Playwright hands the setup's values to workers.
  // eslint-disable-next-line no-restricted-syntax
  const text = process.env[EXCHANGE_ENV];
  if (!text) throw new Error(`${EXCHANGE_ENV} is not set: run the console tests with npm run test:console`);
  return JSON.parse(text) as ConsoleExchange;
}
