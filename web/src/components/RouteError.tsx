import { useRouteError } from 'react-router';
import { ErrorNotice } from './ui';

export function RouteError() {
  const error = useRouteError();
  return (
    <div className="p-8">
      <ErrorNotice error={error} />
    </div>
  );
}
