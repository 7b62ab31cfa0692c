import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MsxError } from '#contracts';
import { CONSOLE_CSP, ConsoleAssets, consoleDir } from './console-assets.js';

/**
 * The console for officers and auditors: a static page and its two assets, served without a credential
 * (every call the page makes to `/v1/` carries the credential its person typed). The page gets its own content
 * policy, which lets it run its own script and style and call the gateway; nothing else is loosened.
 */
@Controller('console')
export class ConsoleController {
  private readonly assets = new ConsoleAssets(consoleDir(import.meta.url));

  /** `GET /console` sends the browser to `/console/`, so that the page's relative links resolve. */
  @Get()
  async bare(@Res() reply: FastifyReply): Promise<void> {
    await reply.redirect('/console/', 308);
  }

  /** `GET /console/` the page, `GET /console/app.js` and `/console/app.css` its assets; nothing else. */
  @Get('/*')
  async file(@Param('*') name: string, @Res() reply: FastifyReply): Promise<void> {
    await this.serve(name, reply);
  }

  private async serve(name: string, reply: FastifyReply): Promise<void> {
    const asset = await this.assets.get(name);
    if (!asset)
      throw new MsxError(
        'GATEWAY.NOT_FOUND',
        name === ''
          ? 'the console is not built here (npm run build makes it)'
          : 'no such file of the console',
      );
    await reply.header('content-security-policy', CONSOLE_CSP).type(asset.type).send(asset.body);
  }
}
